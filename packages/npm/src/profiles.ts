import { defineProfile, type Credential, type Profile } from "@regkit/core";

const MB = 1024 * 1024;

/** npm sends every credential as a Bearer token (the `_authToken` of .npmrc). */
function bearer(credential: Credential): Record<string, string> {
  return credential.token ? { authorization: `Bearer ${credential.token}` } : {};
}

/**
 * GitLab's npm registry (project endpoint `/api/v4/projects/:id/packages/npm`):
 * personal, deploy and CI job tokens as Bearer; duplicates refused with 403
 * "Package already exists"; 500 MB default limit; dist-tags and unpublish
 * supported; `npm search` is not (GitLab has no `/-/v1/search`).
 */
export const gitlab: Profile = defineProfile({
  name: "gitlab",
  description: "GitLab Package Registry, npm endpoint of a project (also the embedded reference registry)",
  tokenKinds: ["personal", "deploy", "job", "readonly", "anonymous", "invalid"],
  capabilities: { search: false, listVersions: true, delete: true, distTags: true, anonymousRead: false },
  policies: { duplicates: "reject", duplicateStatus: [403] },
  limits: { maxFileSize: 500 * MB },
  authHeaders: bearer,
});

/**
 * Verdaccio 6 with its default configuration: one kind of user token (from
 * `npm login` / `npm adduser`), packages readable by anyone (`access: $all`),
 * duplicates refused with 409, bodies up to `max_body_size` (10mb by default:
 * override `limits.maxFileSize` to match your config). An invalid token on a
 * read is treated as anonymous, so reads with it succeed (`invalidTokenRead`).
 * Known deviations the kit found and the profile records: the abbreviated
 * packument comes as `application/json` (`abbreviatedContentType: false`);
 * names that break npm's rules for new packages (uppercase, over 214
 * characters, `~'!()*`, core module names) are accepted
 * (`enforcesNewNameRules: false`), and so are names with a leading underscore
 * (`rejectsLeadingUnderscore: false`).
 */
export const verdaccio: Profile = defineProfile({
  name: "verdaccio",
  description: "Verdaccio 6 with its default access rules ($all read, $authenticated publish)",
  tokenKinds: ["personal", "anonymous", "invalid"],
  capabilities: {
    search: true,
    listVersions: true,
    delete: true,
    distTags: true,
    anonymousRead: true,
    invalidTokenRead: true,
    abbreviatedContentType: false,
    enforcesNewNameRules: false,
    rejectsLeadingUnderscore: false,
  },
  policies: { duplicates: "reject", duplicateStatus: [409] },
  limits: { maxFileSize: 10 * MB },
  authHeaders: bearer,
});

export const npmProfiles: Readonly<Record<string, Profile>> = { gitlab, verdaccio };
