/**
 * Registry flavours the Maven kit knows. The two gitlab profiles read every
 * GitLab number and status from the facts in `gitlab.ts`.
 *
 * @module
 */
import {
  ALL_TOKEN_KINDS,
  type Deviation,
  type Profile,
  type ProfileSetting,
  citeSource,
  defineProfile,
  gitlabApiHeaders,
  gitlabBasicAuth,
  gitlabVisibility,
} from "@regkit/core";
import { mavenGitLabFacts as facts } from "./gitlab.js";
import { parseCoordinates } from "./layout.js";

/** GitLab's default maximum size of one Maven package file: 3 GiB. */
export const GITLAB_MAVEN_LIMIT: number = facts.maxFileSize.value;
/**
 * Capability: the registry checks an uploaded `.sha1` against the file it
 * belongs to and refuses a wrong one (GitLab: 204 when it matches, 409 when not).
 */
export const VERIFIES_CHECKSUMS = "verifiesChecksums";
/**
 * Capability: the registry checks uploaded `.sha256`/`.sha512` files too.
 * GitLab does not (it stores them as plain files, as a WebDAV server does):
 * Maven leaves checksum checking to the client, so either is right.
 */
export const VERIFIES_SHA2_CHECKSUMS = "verifiesSha2Checksums";
/**
 * Deviation: no `.md5` checksums are served (GitLab in FIPS mode answers 422),
 * where Maven's repository layout has one next to every file.
 */
export const MD5_CHECKSUMS_DEVIATION = "maven.md5-checksums";
/** The Maven kit's own capability keys, on top of core's. */
export type MavenCapability = typeof VERIFIES_CHECKSUMS | typeof VERIFIES_SHA2_CHECKSUMS;
/** A profile of the Maven kit: core's capabilities plus the two checksum ones. */
export type MavenProfile = Profile<MavenCapability>;
/** The username sent with a personal access token where GitLab ignores it (a WebDAV server may not). */
export const PERSONAL_TOKEN_USERNAME = "regkit";

function basic(username: string, password: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}` };
}

/** How GitLab's Packages API names the Maven package `groupId:artifactId`: `group/path/artifactId`. */
export function gitlabPackageName(name: string): string {
  const { groupId, artifactId } = parseCoordinates(name);
  return `${groupId.replaceAll(".", "/")}/${artifactId}`;
}

const fipsDeviation: Deviation = {
  summary: `in FIPS mode GitLab serves no MD5 checksums: GET <file>.md5 answers ${facts.checksumDownload.value.fipsMd5} (uploads of .md5 still get ${facts.md5Upload.value})`,
  source: citeSource(facts.checksumDownload.source),
};

/**
 * `visibility`: a public project serves reads to anyone. With Basic
 * credentials a password GitLab does not know reads as no credentials at all
 * (so a public project serves it too); a bad PRIVATE-TOKEN header is always 401.
 */
function gitlabSettings(invalidBasicReadsAsAnonymous: boolean): Record<string, ProfileSetting> {
  return {
    visibility: gitlabVisibility({ invalidBasicReadsAsAnonymous }),
    fips: {
      type: "boolean",
      description: `the instance runs in FIPS mode: .md5 downloads answer ${facts.checksumDownload.value.fipsMd5} (recorded as deviation ${MD5_CHECKSUMS_DEVIATION})`,
      default: false,
      apply(value, draft) {
        if (value === true) draft.deviations[MD5_CHECKSUMS_DEVIATION] = fipsDeviation;
        else delete draft.deviations[MD5_CHECKSUMS_DEVIATION];
      },
    },
  };
}

const gitlabShared = {
  tokenKinds: ALL_TOKEN_KINDS,
  capabilities: {
    search: false,
    listVersions: true,
    delete: false,
    distTags: false,
    anonymousRead: false,
    invalidTokenRead: false,
    [VERIFIES_CHECKSUMS]: facts.sha1Upload.value.mismatch >= 400,
    // GitLab stores .sha256/.sha512 as given (`maven.sha2Files`).
    [VERIFIES_SHA2_CHECKSUMS]: false,
  },
  policies: { duplicates: facts.duplicatesDefault.value, duplicateStatus: [facts.duplicateRefusal.value.status] },
  limits: { maxFileSize: facts.maxFileSize.value },
  // Maven has no delete: cleanup goes through GitLab's Packages API, where
  // `com.example:app` is listed as `com/example/app`.
  packagesApi: { type: "maven", name: gitlabPackageName },
} as const;

const describeGitLab = (credentials: string): string =>
  `GitLab Maven repository (/api/v4/projects/:id/packages/maven), ${credentials}. Duplicates allowed by default (${facts.duplicateRefusal.value.status} when the group setting maven_duplicates_allowed forbids them: --set duplicates=reject), ${GITLAB_MAVEN_LIMIT / 1024 ** 3} GiB per file, .sha1 uploads verified (${facts.sha1Upload.value.mismatch} when wrong), .sha256/.sha512 stored as given. Settings: visibility (private|public), fips. Maven cannot delete: cleanup removes what the run deployed through GitLab's Packages API.`;

/** GitLab's project-level Maven endpoint, credentials in GitLab's headers. */
export const gitlabProfile: MavenProfile = defineProfile<MavenCapability>({
  name: "gitlab",
  description: describeGitLab("credentials in the PRIVATE-TOKEN, DEPLOY-TOKEN and JOB-TOKEN headers (a bad PRIVATE-TOKEN is always 401)"),
  ...gitlabShared,
  authHeaders: gitlabApiHeaders,
  settings: gitlabSettings(false),
});

/** The same endpoint with HTTP Basic credentials, as `settings.xml` `<username>/<password>` send them. */
export const gitlabBasicProfile: MavenProfile = defineProfile<MavenCapability>({
  name: "gitlab-basic",
  description: describeGitLab(
    "HTTP Basic credentials (any username with a personal access token or a deploy token, gitlab-ci-token with a job token; a password GitLab does not know reads as no credentials)",
  ),
  ...gitlabShared,
  // GitLab's Basic rules (`GITLAB_FACTS.basicUsernameIgnored`, `jobTokenUsername`).
  authHeaders: gitlabBasicAuth,
  settings: gitlabSettings(true),
});

/**
 * A plain HTTP repository that only knows GET and PUT (nginx or Apache with
 * WebDAV, a bucket behind a web server). Writers present Basic credentials as
 * a `deploy` username and password (the `readonly` kind: a user who may only
 * read); reads are anonymous.
 */
export const davProfile: MavenProfile = defineProfile<MavenCapability>({
  name: "dav",
  description:
    "Plain HTTP/WebDAV Maven repository (GET and PUT only): Basic credentials or none, anonymous reads, re-deploys overwrite, nothing can be deleted, no size limit unless configured.",
  tokenKinds: ["deploy", "readonly", "anonymous", "invalid"],
  capabilities: {
    search: false,
    listVersions: true,
    delete: false,
    distTags: false,
    anonymousRead: true,
    // Reads never look at credentials, so a wrong password reads like no password.
    invalidTokenRead: true,
    [VERIFIES_CHECKSUMS]: false,
    [VERIFIES_SHA2_CHECKSUMS]: false,
  },
  policies: { duplicates: "allow", duplicateStatus: [] },
  limits: { maxFileSize: 0 },
  authHeaders: (credential) =>
    credential.token === undefined ? {} : basic(credential.username ?? PERSONAL_TOKEN_USERNAME, credential.token),
});

/**
 * Apache httpd with mod_dav serving a directory as a Maven repository: GET for
 * everyone, PUT with Basic credentials (`<LimitExcept>`), parent collections
 * created for an authorised PUT (a fixups hook, as nginx's
 * create_full_put_path). Plain mod_dav without that hook answers 409 Conflict
 * to a PUT whose parent collection does not exist (RFC 4918, 9.7.1), and mvn's
 * default http transport sends no MKCOL: see docs/maven.md.
 */
export const apacheDavProfile: MavenProfile = defineProfile<MavenCapability>({
  name: "apache-dav",
  description:
    "Apache httpd (mod_dav, mod_dav_fs) as a Maven repository: anonymous GET, Basic credentials to PUT, parent collections created for an authorised PUT (plain mod_dav answers 409 Conflict without them, and mvn's http transport sends no MKCOL), re-deploys overwrite, nothing can be deleted, no size limit unless configured.",
  tokenKinds: davProfile.tokenKinds,
  capabilities: davProfile.capabilities,
  policies: davProfile.policies,
  limits: davProfile.limits,
  authHeaders: davProfile.authHeaders,
});

export const mavenProfiles: Readonly<Record<string, MavenProfile>> = {
  gitlab: gitlabProfile,
  "gitlab-basic": gitlabBasicProfile,
  dav: davProfile,
  "apache-dav": apacheDavProfile,
};
