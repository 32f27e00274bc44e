import { citeSource, defineProfile, type Credential, type Deviation, type Profile, gitlabVisibility } from "@regkit/core";
import { npmGitLabFacts as facts } from "./gitlab.js";
import { NAME_RULE_DEVIATIONS } from "./names.js";

const MB = 1024 * 1024;

/**
 * An npm profile: core's capabilities only (npm has no capability of its own;
 * dist-tags and search are core's), so scenarios and drivers read every
 * capability typed.
 */
export type NpmProfile = Profile<never>;

/** npm sends every credential as a Bearer token (the `_authToken` of .npmrc). */
function bearer(credential: Credential): Record<string, string> {
  return credential.token ? { authorization: `Bearer ${credential.token}` } : {};
}

/** Deviation id: the abbreviated packument comes in another content type. */
export const ABBREVIATED_CONTENT_TYPE = "npm.abbreviated-content-type";
/** Deviation id: the packument's `dist` carries no `integrity` (sha512 SRI). */
export const DIST_INTEGRITY = "npm.dist-integrity";

const gitlabNames = `GitLab checks names only with npm_package_name_regex (${citeSource(facts.nameRule.source)})`;

/** GitLab's departures from npm's rules, each with the source that defines it. */
const gitlabDeviations: Record<string, Deviation> = {
  [ABBREVIATED_CONTENT_TYPE]: {
    summary: `GitLab ignores Accept and sends the one packument it has as ${facts.packumentContentType.value}; npm install takes it`,
    source: citeSource(facts.packumentContentType.source),
  },
  [DIST_INTEGRITY]: {
    summary: "GitLab's packument carries dist.shasum (sha1) only, no dist.integrity: npm checks sha1",
    source: citeSource(facts.packumentFields.source),
  },
  [NAME_RULE_DEVIATIONS.uppercase]: { summary: "names with uppercase letters are accepted", source: gitlabNames },
  [NAME_RULE_DEVIATIONS.leadingPeriod]: { summary: "names starting with a period are accepted", source: gitlabNames },
  [NAME_RULE_DEVIATIONS.leadingUnderscore]: { summary: "names starting with an underscore are accepted", source: gitlabNames },
  [NAME_RULE_DEVIATIONS.blocked]: { summary: "node_modules and favicon.ico are accepted as names", source: gitlabNames },
  [NAME_RULE_DEVIATIONS.coreModule]: { summary: "Node.js core module names are accepted", source: gitlabNames },
  [NAME_RULE_DEVIATIONS.tooLong]: { summary: "names over 214 characters are accepted", source: gitlabNames },
};

/**
 * GitLab's npm registry (project endpoint `/api/v4/projects/:id/packages/npm`),
 * derived from {@link facts}: personal, deploy and CI job tokens as Bearer;
 * duplicates refused with 403; a 500 MiB default limit; dist-tags (removing
 * one needs a Maintainer or a write deploy token); no unpublish, so cleanup
 * goes through GitLab's Packages API; no `npm search`.
 */
export const gitlab: NpmProfile = defineProfile({
  name: "gitlab",
  description:
    "GitLab Package Registry, npm endpoint of a project (also the embedded reference registry): Bearer tokens, duplicates refused with 403, no unpublish (cleanup through the Packages API), no search; one JSON packument without dist.integrity",
  tokenKinds: ["personal", "deploy", "job", "readonly", "anonymous", "invalid"],
  capabilities: { search: false, listVersions: true, delete: false, distTags: true, anonymousRead: false },
  policies: { duplicates: "reject", duplicateStatus: [facts.duplicate.value.status] },
  limits: { maxFileSize: facts.maxFileSize.value },
  // GitLab's Packages API lists npm packages by their full name (`@scope/name` or `name`).
  packagesApi: { type: "npm", name: (name) => name },
  deviations: gitlabDeviations,
  settings: {
    // npm sends Bearer tokens: a bad one is a 401 on a public project too.
    visibility: gitlabVisibility({ invalidBasicReadsAsAnonymous: false }),
  },
  authHeaders: bearer,
});

const observed = "Verdaccio 6.10 with its default configuration, observed by packages/npm/test/conformance.verdaccio.test.ts";
const oldPackageRules = `Verdaccio applies npm's rules for old packages (${observed})`;

/**
 * Verdaccio's body limit when `max_body_size` is not set: "10mb", which
 * express.json (body-parser, through the `bytes` package) reads as 10 MiB.
 * Source: verdaccio 6.10.4, build/api/endpoint/index.js (the API router's
 * `express.json({ strict: false, limit: config.max_body_size || "10mb" })`),
 * and @verdaccio/middleware build/middlewares/body-parser.js (the same limit).
 */
export const VERDACCIO_DEFAULT_MAX_BODY = 10 * MB;

/**
 * What an npm publish body holds besides the tarball's base64: the packument
 * with the version's manifest (the npm CLI puts the readme and the whole
 * package.json in it). 64 KiB covers any package regkit builds with room to spare.
 */
export const PUBLISH_DOCUMENT_ALLOWANCE = 64 * 1024;

/**
 * The largest tarball an npm publish can carry under a body limit of
 * `maxBody` bytes: npm sends the tarball base64-encoded inside the JSON
 * publish document (4 bytes of base64 for every 3 of tarball), so Verdaccio's
 * 10mb default takes a tarball of about 7.45 MiB, not 10.
 */
export function largestTarballUnder(maxBody: number): number {
  if (maxBody <= 0) return 0;
  return Math.max(0, Math.floor((maxBody - PUBLISH_DOCUMENT_ALLOWANCE) / 4) * 3);
}

/**
 * Verdaccio 6 with its default configuration: one kind of user token (from
 * `npm login` / `npm adduser`), packages readable by anyone (`access: $all`),
 * duplicates refused with 409, publish bodies up to `max_body_size` (10mb by
 * default). That limit is on the JSON body, where the tarball travels as
 * base64, so the profile's file size limit is the largest tarball that fits
 * ({@link largestTarballUnder}); set `maxBodySize` to your config's
 * `max_body_size` (Verdaccio's "mb" is MiB: write "20MiB"). An invalid token on a
 * read is treated as anonymous, so reads with it succeed (`invalidTokenRead`).
 * Its departures from npm's rules are recorded deviations: the abbreviated
 * packument comes as `application/json`; names that break npm's rules for new
 * packages (uppercase, over 214 characters, `~'!()*`, core module names, a
 * leading underscore) are accepted.
 */
export const verdaccio: NpmProfile = defineProfile({
  name: "verdaccio",
  description: "Verdaccio 6 with its default configuration ($all read, $authenticated publish, max_body_size 10mb of JSON body: tarballs up to about 7.45 MiB)",
  tokenKinds: ["personal", "anonymous", "invalid"],
  capabilities: {
    search: true,
    listVersions: true,
    delete: true,
    distTags: true,
    anonymousRead: true,
    invalidTokenRead: true,
  },
  policies: { duplicates: "reject", duplicateStatus: [409] },
  limits: { maxFileSize: largestTarballUnder(VERDACCIO_DEFAULT_MAX_BODY) },
  settings: {
    maxBodySize: {
      type: "size",
      description: `Verdaccio's max_body_size (its "mb" is MiB: write 20MiB for 20mb); the file size limit becomes the largest tarball whose base64 publish body fits (${largestTarballUnder(VERDACCIO_DEFAULT_MAX_BODY)} bytes for the 10mb default)`,
      default: VERDACCIO_DEFAULT_MAX_BODY,
      apply(value, draft) {
        if (typeof value === "number") draft.limits.maxFileSize = largestTarballUnder(value);
      },
    },
  },
  deviations: {
    [ABBREVIATED_CONTENT_TYPE]: { summary: "the abbreviated packument comes as application/json", source: observed },
    [NAME_RULE_DEVIATIONS.uppercase]: { summary: "names with uppercase letters are accepted", source: oldPackageRules },
    [NAME_RULE_DEVIATIONS.tooLong]: { summary: "names over 214 characters are accepted", source: oldPackageRules },
    [NAME_RULE_DEVIATIONS.specialCharacters]: { summary: "names with ~'!()* are accepted", source: oldPackageRules },
    [NAME_RULE_DEVIATIONS.coreModule]: { summary: "Node.js core module names are accepted", source: oldPackageRules },
    [NAME_RULE_DEVIATIONS.leadingUnderscore]: { summary: "names starting with an underscore are accepted", source: observed },
  },
  authHeaders: bearer,
});

export const npmProfiles: Readonly<Record<string, NpmProfile>> = { gitlab, verdaccio };
