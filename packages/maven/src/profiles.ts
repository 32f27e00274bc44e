/**
 * Registry flavours the Maven kit knows.
 *
 * @module
 */
import { ALL_TOKEN_KINDS, type Credential, type Profile, defineProfile, gitlabApiHeaders } from "@regkit/core";
import { parseCoordinates } from "./layout.js";

/** GitLab's default maximum size of one Maven package file: 3 GB. */
export const GITLAB_MAVEN_LIMIT = 3 * 1024 ** 3;
/**
 * Capability: the registry checks uploaded checksum files against the file
 * they belong to (GitLab: `.sha1` 204 when it matches, 409 when not).
 */
export const VERIFIES_CHECKSUMS = "verifiesChecksums";
/** GitLab's username for a CI job token in Basic auth. */
export const JOB_TOKEN_USERNAME = "gitlab-ci-token";
/** GitLab ignores the Basic username of a personal access token, but one must be sent. */
export const PERSONAL_TOKEN_USERNAME = "regkit";

function basic(username: string, password: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}` };
}

/** GitLab's Basic rules: deploy tokens with their username, job tokens as `gitlab-ci-token`. */
function gitlabBasic(credential: Credential): Record<string, string> {
  const token = credential.token;
  if (token === undefined) return {};
  switch (credential.kind) {
    case "deploy":
    case "readonly":
      return basic(credential.username ?? "", token);
    case "job":
      return basic(JOB_TOKEN_USERNAME, token);
    case "personal":
    case "invalid":
      return basic(credential.username ?? PERSONAL_TOKEN_USERNAME, token);
    case "anonymous":
      return {};
  }
}

/** How GitLab's Packages API names the Maven package `groupId:artifactId`: `group/path/artifactId`. */
export function gitlabPackageName(name: string): string {
  const { groupId, artifactId } = parseCoordinates(name);
  return `${groupId.replaceAll(".", "/")}/${artifactId}`;
}

const gitlabShared = {
  tokenKinds: ALL_TOKEN_KINDS,
  capabilities: {
    search: false,
    listVersions: true,
    delete: false,
    distTags: false,
    anonymousRead: false,
    [VERIFIES_CHECKSUMS]: true,
  },
  // GitLab allows Maven duplicates by default; a group setting can forbid them (then 400).
  policies: { duplicates: "allow", duplicateStatus: [400] },
  limits: { maxFileSize: GITLAB_MAVEN_LIMIT },
  // Maven has no delete: cleanup goes through GitLab's Packages API, where
  // `com.example:app` is listed as `com/example/app`.
  packagesApi: { type: "maven", name: gitlabPackageName },
} as const;

/** GitLab's project-level Maven endpoint, credentials in GitLab's headers. */
export const gitlabProfile: Profile = defineProfile({
  name: "gitlab",
  description:
    "GitLab Maven repository (/api/v4/projects/:id/packages/maven): PRIVATE-TOKEN, DEPLOY-TOKEN and JOB-TOKEN headers, duplicates allowed by default (400 when a group forbids them), 3 GB per file. Maven cannot delete: cleanup removes what the run deployed through GitLab's Packages API.",
  ...gitlabShared,
  // GitLab's Maven headers: `PRIVATE-TOKEN`, `DEPLOY-TOKEN`, `JOB-TOKEN`.
  authHeaders: gitlabApiHeaders,
});

/** The same endpoint with HTTP Basic credentials, as `settings.xml` `<username>/<password>` send them. */
export const gitlabBasicProfile: Profile = defineProfile({
  name: "gitlab-basic",
  description:
    "GitLab Maven repository with HTTP Basic credentials: any username with a personal access token, the deploy token's username, gitlab-ci-token with a job token.",
  ...gitlabShared,
  authHeaders: gitlabBasic,
});

/**
 * A plain HTTP repository that only knows GET and PUT (nginx or Apache with
 * WebDAV, a bucket behind a web server). Writers present Basic credentials as
 * a `deploy` username and password (the `readonly` kind: a user who may only
 * read); reads are anonymous.
 */
export const davProfile: Profile = defineProfile({
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
  },
  policies: { duplicates: "allow", duplicateStatus: [] },
  limits: { maxFileSize: 0 },
  authHeaders: (credential) =>
    credential.token === undefined ? {} : basic(credential.username ?? PERSONAL_TOKEN_USERNAME, credential.token),
});

export const mavenProfiles: Readonly<Record<string, Profile>> = {
  gitlab: gitlabProfile,
  "gitlab-basic": gitlabBasicProfile,
  dav: davProfile,
};
