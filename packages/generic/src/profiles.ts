/**
 * Registry flavours the Generic kit knows. The gitlab profiles read every
 * GitLab number, status and rule from the facts in `gitlab.ts`.
 *
 * @module
 */
import {
  ALL_TOKEN_KINDS,
  type Profile,
  type ProfileSetting,
  defineProfile,
  gitlabApiHeaders,
  gitlabBasicAuth,
  gitlabVisibility,
} from "@regkit/core";
import { genericGitLabFacts as facts } from "./gitlab.js";

/** GitLab's default maximum size of one Generic package file: 5 GiB. */
export const GITLAB_GENERIC_LIMIT: number = facts.maxFileSize.value;

/** Capability: an upload with `?select=package_file` answers 200 with the stored file as JSON (its size and SHA-256). */
export const SELECT_PACKAGE_FILE = "selectPackageFile";
/** Capability: uploads take `?status=hidden`; a hidden package is still downloadable. */
export const HIDDEN_STATUS = "hiddenStatus";
/** Capability: the Packages API leaves hidden packages out of its list unless asked with `status=hidden`. */
export const HIDDEN_UNLISTED = "hiddenUnlisted";
/** Capability: the Packages API serves `/packages/:id/package_files` (each file's name, size and SHA-256). */
export const PACKAGE_FILES_API = "packageFilesApi";
/** Capability: names, versions and file names outside GitLab's rules are refused with 400. */
export const VALIDATES_NAMES = "validatesNames";
/** Capability: downloads carry `X-Checksum-SHA256` with the stored file's SHA-256. */
export const CHECKSUM_HEADER = "checksumHeader";

/** The Generic kit's own capability keys, on top of core's. */
export type GenericCapability =
  | typeof SELECT_PACKAGE_FILE
  | typeof HIDDEN_STATUS
  | typeof HIDDEN_UNLISTED
  | typeof PACKAGE_FILES_API
  | typeof VALIDATES_NAMES
  | typeof CHECKSUM_HEADER;
/** A profile of the Generic kit: core's capabilities plus the Generic ones. */
export type GenericProfile = Profile<GenericCapability>;

/** The setting that holds the group's `generic_duplicate_exception_regex`. */
export const DUPLICATE_EXCEPTION_SETTING = "duplicateExceptionRegex";
/** The username a personal access token travels with where the registry ignores it (GitLab) and WebDAV needs one. */
export const PERSONAL_TOKEN_USERNAME = "regkit";

/** The group's exception pattern as the target's settings give it; "" when none. */
export function duplicateExceptionOf(settings: Readonly<Record<string, unknown>>): string {
  const value = settings[DUPLICATE_EXCEPTION_SETTING];
  return typeof value === "string" ? value : "";
}

function gitlabSettings(invalidBasicReadsAsAnonymous: boolean): Record<string, ProfileSetting> {
  return {
    visibility: gitlabVisibility({ invalidBasicReadsAsAnonymous }),
    [DUPLICATE_EXCEPTION_SETTING]: {
      type: "string",
      description:
        "the group's generic_duplicate_exception_regex: packages whose name or version it matches take the opposite of the duplicates setting (empty: none)",
      default: "",
      // Read by the generic.duplicate-exception scenario from the target's settings; nothing else changes.
      apply() {},
    },
  };
}

const gitlabShared = {
  tokenKinds: ALL_TOKEN_KINDS,
  capabilities: {
    search: false,
    listVersions: true,
    // No delete route: cleanup goes through the Packages API (packagesApi below).
    delete: false,
    distTags: false,
    anonymousRead: false,
    invalidTokenRead: false,
    [SELECT_PACKAGE_FILE]: true,
    [HIDDEN_STATUS]: true,
    [HIDDEN_UNLISTED]: !facts.hidden.value.listedByDefault,
    [PACKAGE_FILES_API]: true,
    [VALIDATES_NAMES]: true,
    [CHECKSUM_HEADER]: true,
  },
  // The kit accepts what Rails answers and what Workhorse answers first (genericGitLabFacts.overLimit).
  policies: { duplicates: facts.duplicatesDefault.value, duplicateStatus: [facts.duplicateRefusal.value.status] },
  limits: { maxFileSize: facts.maxFileSize.value },
  packagesApi: { type: "generic", name: (name: string) => name },
} as const;

const describeGitLab = (credentials: string): string =>
  `GitLab Generic packages (/api/v4/projects/:id/packages/generic/:name/:version/:file), ${credentials}. Duplicates allowed by default (${facts.duplicateRefusal.value.status} when the group forbids them: --set duplicates=reject; --set ${DUPLICATE_EXCEPTION_SETTING}=PATTERN for the exception pattern), ${GITLAB_GENERIC_LIMIT / 1024 ** 3} GiB per file, ?select=package_file and ?status=hidden. Versions, files and cleanup through GitLab's Packages API (a personal or job token: it reads no deploy tokens).`;

/** GitLab's project-level Generic endpoint, credentials in GitLab's token headers (as GitLab documents curl with them). */
export const gitlabProfile: GenericProfile = defineProfile<GenericCapability>({
  name: "gitlab",
  description: describeGitLab("credentials in the PRIVATE-TOKEN, DEPLOY-TOKEN and JOB-TOKEN headers"),
  ...gitlabShared,
  authHeaders: gitlabApiHeaders,
  settings: gitlabSettings(false),
});

/**
 * The same endpoint with HTTP Basic credentials (`curl --user`): any username
 * with a personal or deploy token. A job token travels in the JOB-TOKEN
 * header, as GitLab's docs upload from CI: GitLab reads no job token from
 * Basic on uploads (genericGitLabFacts.jobTokenBasic).
 */
export const gitlabBasicProfile: GenericProfile = defineProfile<GenericCapability>({
  name: "gitlab-basic",
  description: describeGitLab("HTTP Basic credentials (any username with a personal access token or a deploy token; a job token in the JOB-TOKEN header, since GitLab reads none from Basic on uploads)"),
  ...gitlabShared,
  authHeaders: (credential) => (credential.kind === "job" ? gitlabApiHeaders(credential) : gitlabBasicAuth(credential)),
  settings: gitlabSettings(true),
});

function basic(username: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}` };
}

/**
 * A plain HTTP server that stores what is PUT and serves it back (nginx or
 * Apache with WebDAV): the same URL layout, Basic credentials to write,
 * anonymous reads, re-uploads overwrite, versions listed with PROPFIND,
 * removal with DELETE, no name rules and no size limit unless configured.
 */
export const webdavProfile: GenericProfile = defineProfile<GenericCapability>({
  name: "webdav",
  description:
    "Plain HTTP/WebDAV file server in GitLab's layout (:name/:version/:file): PUT with Basic credentials, anonymous GET, versions by PROPFIND (Depth: 1), DELETE for cleanup; re-uploads overwrite, no name rules, no size limit unless configured.",
  tokenKinds: ["deploy", "readonly", "anonymous", "invalid"],
  capabilities: {
    search: false,
    listVersions: true,
    delete: true,
    distTags: false,
    anonymousRead: true,
    // Reads never look at credentials, so a wrong password reads like none.
    invalidTokenRead: true,
    [SELECT_PACKAGE_FILE]: false,
    [HIDDEN_STATUS]: false,
    [HIDDEN_UNLISTED]: false,
    [PACKAGE_FILES_API]: false,
    [VALIDATES_NAMES]: false,
    [CHECKSUM_HEADER]: false,
  },
  policies: { duplicates: "allow", duplicateStatus: [] },
  limits: { maxFileSize: 0 },
  // WebDAV's own methods, outside the Generic protocol: how this server lists and removes.
  extraRoutes: [
    { method: "PROPFIND", path: "/:name", summary: "list a package's versions (Depth: 1, WebDAV)" },
    { method: "DELETE", path: "/*path", summary: "remove a version or a package (cleanup, WebDAV)" },
  ],
  authHeaders: (credential) => (credential.token === undefined ? {} : basic(credential.username ?? PERSONAL_TOKEN_USERNAME, credential.token)),
});

export const genericProfiles: Readonly<Record<string, GenericProfile>> = {
  gitlab: gitlabProfile,
  "gitlab-basic": gitlabBasicProfile,
  webdav: webdavProfile,
};
