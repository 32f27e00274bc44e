/**
 * Registry flavours the Conan kit knows. The gitlab profile reads every
 * GitLab number, status and rule from the facts in `gitlab.ts`.
 *
 * @module
 */
import { ALL_TOKEN_KINDS, type Credential, type Profile, type ProfileSetting, defineProfile, gitlabBasicAuth, gitlabVisibility } from "@regkit/core";
import { conanGitLabFacts as facts } from "./gitlab.js";

/** Capability: `users/authenticate` hands out a token the other routes take as `Authorization: Bearer` (the Conan client's login). */
export const TOKEN_LOGIN = "tokenLogin";
/** The Conan kit's own capability keys, on top of core's. */
export type ConanCapability = typeof TOKEN_LOGIN;
/** A profile of the Conan kit. */
export type ConanProfile = Profile<ConanCapability>;

/** The deviation id the gitlab profile records for GitLab's empty-file rule (conanGitLabFacts.emptyFiles). */
export const EMPTY_FILES_DEVIATION = "conan.empty-files";

/** GitLab's default maximum size of one Conan file: 3 GiB. */
export const GITLAB_CONAN_LIMIT: number = facts.maxFileSize.value.bytes;

/** The setting choosing the Conan API the adapter speaks: `v2` (revisions, Conan 2's) or `v1` (GitLab still serves it: conanGitLabFacts.v1Routes). */
export const API_SETTING = "api";
/** The Conan API versions the adapter speaks. */
export type ConanApi = "v1" | "v2";

/** The API of the target's settings (v2 unless `api: v1`). */
export function apiOf(settings: Readonly<Record<string, unknown>>): ConanApi {
  return settings[API_SETTING] === "v1" ? "v1" : "v2";
}

const apiSetting: ProfileSetting = {
  type: ["v2", "v1"],
  description:
    "the Conan API the adapter speaks: v2 (revisions; Conan 2's) or v1 (GitLab's v1 routes: upload_urls then a PUT of each file, download_urls then a GET of each, snapshots checked against the files, search and DELETE of the recipe over v1; every upload is revision 0). The revision scenarios (conan.revisions, conan.empty-file) are v2 only and skip under v1",
  default: "v2",
  apply() {
    // Read by the adapter and the scenarios from the target's settings.
  },
};

/** The setting naming the project at instance level: its full path (`group/project`), the recipes' user with `+` for `/` (conanGitLabFacts.instanceLevel). */
export const PROJECT_SETTING = "project";
/** The setting naming the recipes' channel at instance level. */
export const CHANNEL_SETTING = "channel";
/** The channel of instance-level recipes unless the `channel` setting says. */
export const DEFAULT_CHANNEL = "stable";

/** Whether `registry` is GitLab's instance-level Conan endpoint (`…/api/v4/packages/conan`), not a project's. */
export function isInstanceRegistry(registry: string): boolean {
  let path: string;
  try {
    path = new URL(registry).pathname;
  } catch {
    return false;
  }
  return /\/api\/v4\/packages\/conan\/?$/.test(path);
}

/** The project path of the `project` setting; "" when none. */
export function projectSetting(settings: Readonly<Record<string, unknown>>): string {
  const value = settings[PROJECT_SETTING];
  return typeof value === "string" ? value.trim().replace(/^\/+|\/+$/g, "") : "";
}

/** The channel of the `channel` setting, `stable` when none. */
export function channelSetting(settings: Readonly<Record<string, unknown>>): string {
  const value = settings[CHANNEL_SETTING];
  return typeof value === "string" && value.trim() !== "" ? value.trim() : DEFAULT_CHANNEL;
}

const projectOption: ProfileSetting = {
  type: "string",
  description:
    "at instance level (a registry URL …/api/v4/packages/conan, v1 only): the project's full path (group/project); recipes are published as name/version@group+project/<channel>, as GitLab finds the project from the recipe's user. Unused at project level (recipes are name/version, user and channel _)",
  default: "",
  apply() {
    // Read by the adapter from the target's settings.
  },
};

const channelOption: ProfileSetting = {
  type: "string",
  description: "at instance level: the channel of the recipes published (name/version@group+project/<channel>); GitLab needs one, `_` is not allowed there",
  default: DEFAULT_CHANNEL,
  apply() {
    // Read by the adapter from the target's settings.
  },
};

function basic(username: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}` };
}

/**
 * GitLab's project-level Conan v2 endpoint: Basic credentials (any username
 * with a personal access token, a deploy token, `gitlab-ci-token` with a job
 * token) exchanged at `users/authenticate` for the token the client then sends
 * as Bearer; GitLab reads no PRIVATE-TOKEN, DEPLOY-TOKEN or JOB-TOKEN headers here.
 */
export const gitlabProfile: ConanProfile = defineProfile<ConanCapability>({
  name: "gitlab",
  description: `GitLab's Conan v2 registry (/api/v4/projects/:id/packages/conan, v2 routes; 18.3+, or the conan_package_revisions_support flag before): Basic credentials exchanged at users/authenticate for a Bearer token, every token kind (deploy tokens included), recipes as name/version (user and channel _), revisions upserted (re-uploads accepted: a new recipe revision is Conan's way to republish), search by pattern, revisions deleted with DELETE (a Maintainer). ${GITLAB_CONAN_LIMIT / 1024 ** 3} GiB per file.`,
  tokenKinds: ALL_TOKEN_KINDS,
  capabilities: {
    search: true,
    listVersions: true,
    delete: true,
    distTags: false,
    anonymousRead: false,
    invalidTokenRead: false,
    [TOKEN_LOGIN]: true,
  },
  policies: { duplicates: facts.duplicates.value, duplicateStatus: [] },
  limits: { maxFileSize: GITLAB_CONAN_LIMIT },
  authHeaders: (credential: Credential) => gitlabBasicAuth(credential),
  settings: { visibility: gitlabVisibility({ invalidBasicReadsAsAnonymous: true }), [API_SETTING]: apiSetting, [PROJECT_SETTING]: projectOption, [CHANNEL_SETTING]: channelOption },
  deviations: {
    [EMPTY_FILES_DEVIATION]: {
      summary: `an empty file (Conan 2's conaninfo.txt for a recipe with no settings, options or requirements) is answered ${facts.emptyFiles.value.status} but not stored, so conan install of such a package fails with "no conaninfo.txt"`,
      source: `${facts.emptyFiles.source.file} ${facts.emptyFiles.source.at} (${facts.emptyFiles.source.version})`,
    },
  },
});

/**
 * Conan's own server (`conan_server`, from PyPI) with its own users: the
 * personal credential is a user of its `[users]` section (REGKIT_PERSONAL_USERNAME,
 * REGKIT_PERSONAL_TOKEN as the password); anyone reads (its default
 * `[read_permissions]` of all recipes for everyone), only that user writes; re-uploads overwrite.
 */
export const conanServerProfile: ConanProfile = defineProfile<ConanCapability>({
  name: "conan-server",
  description:
    "Conan's own server (conan_server 2, from PyPI): its own users (REGKIT_PERSONAL_USERNAME and REGKIT_PERSONAL_TOKEN as the password), Basic exchanged at users/authenticate for a Bearer token, anonymous reads, re-uploads overwrite, search by fnmatch pattern, DELETE of revisions.",
  tokenKinds: ["personal", "anonymous", "invalid"],
  capabilities: {
    search: true,
    listVersions: true,
    delete: true,
    distTags: false,
    anonymousRead: true,
    invalidTokenRead: false,
    [TOKEN_LOGIN]: true,
  },
  policies: { duplicates: "allow", duplicateStatus: [] },
  limits: { maxFileSize: 0 },
  personalUsername: "required",
  authHeaders: (credential: Credential) => (credential.token === undefined ? {} : basic(credential.username ?? "regkit", credential.token)),
});

export const conanProfiles: Readonly<Record<string, ConanProfile>> = { gitlab: gitlabProfile, "conan-server": conanServerProfile };
