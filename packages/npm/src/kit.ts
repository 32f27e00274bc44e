import semver from "semver";
import { defineKit, factList, type RouteTemplate } from "@regkit/core";
import { npmArbitraries } from "./arbitraries.js";
import { connectNpm } from "./client.js";
import { npmDrivers } from "./drivers.js";
import { npmGitLabFacts } from "./gitlab.js";
import { isBlockedName } from "./names.js";
import { buildNpmPackage } from "./package.js";
import { npmProfiles } from "./profiles.js";
import { npmScenarios } from "./scenarios.js";

/**
 * The npm registry API as the npm CLI uses it (the protocol, not one
 * registry: GitLab lacks the session, search and unpublish routes, see
 * `npm.missingRoutes` and `npm.noUnpublish` in ./gitlab.ts). Scoped names
 * travel as one segment (`@scope%2fname`); tarball URLs of scoped packages
 * keep the slash, and GitLab's repeat the scope in the file name.
 */
export const npmRoutes: readonly RouteTemplate[] = [
  { method: "PUT", path: "/:name", summary: "publish (packument with base64 attachment)" },
  { method: "GET", path: "/:name", summary: "packument (full, or abbreviated with Accept: application/vnd.npm.install-v1+json)" },
  { method: "GET", path: "/:name/:version", summary: "one version's manifest" },
  { method: "GET", path: "/:name/-/:file", summary: "tarball" },
  { method: "GET", path: "/:scope/:name/-/:file", summary: "tarball of a scoped package" },
  { method: "GET", path: "/:scope/:name/-/:fileScope/:file", summary: "tarball of a scoped package, the file named with the scope (GitLab: @scope/pkg/-/@scope/pkg-1.0.0.tgz)" },
  { method: "GET", path: "/-/package/:name/dist-tags", summary: "dist-tags" },
  { method: "PUT", path: "/-/package/:name/dist-tags/:tag", summary: "set a dist-tag" },
  { method: "DELETE", path: "/-/package/:name/dist-tags/:tag", summary: "remove a dist-tag" },
  { method: "GET", path: "/-/v1/search", summary: "search" },
  { method: "PUT", path: "/:name/-rev/:rev", summary: "unpublish a version (packument without it)" },
  { method: "DELETE", path: "/:name/-rev/:rev", summary: "unpublish the package" },
  { method: "DELETE", path: "/:name/-/:file/-rev/:rev", summary: "delete a tarball" },
  { method: "GET", path: "/-/whoami", summary: "who am I" },
  { method: "GET", path: "/-/ping", summary: "ping" },
  { method: "PUT", path: "/-/user/:user", summary: "login / adduser" },
  { method: "POST", path: "/-/npm/v1/security/advisories/bulk", summary: "audit (bulk advisories)" },
  { method: "POST", path: "/-/npm/v1/security/audits/quick", summary: "audit (quick)" },
];

const RUN_PREFIX = "regkit-";

/** The npm kit. */
export const npmKit = defineKit({
  format: "npm",
  title: "npm",
  description: "The npm registry protocol: publish, packuments (full and abbreviated), tarballs, dist-tags, search, unpublish.",
  profiles: npmProfiles,
  defaultProfile: "gitlab",
  instanceLimit: npmGitLabFacts.maxFileSize.value,
  routes: npmRoutes,
  arbitraries: npmArbitraries,
  packageName: (runId, base) => `${RUN_PREFIX}${runId}-${base}`,
  // npm.invalid-names keeps the broken rule around the run's prefix (`.regkit-<run>-x`,
  // ` regkit-<run>-x`); node_modules and favicon.ico cannot carry it, and a
  // lenient registry that takes them holds them for this run only.
  ownsName: (runId, name) => isBlockedName(name) || name.replace(/^[@._ ]/, "").startsWith(`${RUN_PREFIX}${runId}-`),
  build: buildNpmPackage,
  compareVersions: (a, b) => semver.compare(a, b),
  connect: connectNpm,
  drivers: npmDrivers,
  scenarios: npmScenarios,
  gitlabFacts: factList(npmGitLabFacts),
});
