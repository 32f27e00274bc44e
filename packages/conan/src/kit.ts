/**
 * The Conan kit.
 *
 * @module
 */
import { compareNumericText, defineKit, factList, type RouteTemplate } from "@regkit/core";
import { conanArbitraries } from "./arbitraries.js";
import { connectConan } from "./client.js";
import { conanDrivers } from "./drivers.js";
import { conanGitLabFacts } from "./gitlab.js";
import { buildConanPackage } from "./package.js";
import { GITLAB_CONAN_LIMIT, conanProfiles } from "./profiles.js";
import { conanScenarios } from "./scenarios.js";

const RECIPE = "/v2/conans/:name/:version/:user/:channel";
const RREV = `${RECIPE}/revisions/:rrev`;
const PKG = `${RREV}/packages/:pkgid`;
const PREV = `${PKG}/revisions/:prev`;

/** Conan's server API (v2, and v1's ping), relative to the remote URL: what the Conan 2 client calls. */
export const conanRoutes: readonly RouteTemplate[] = [
  { method: "GET", path: "/v1/ping", summary: "server capabilities (X-Conan-Server-Capabilities: revisions)" },
  { method: "GET", path: "/v2/ping", summary: "server capabilities (v2)" },
  { method: "GET", path: "/v2/users/authenticate", summary: "exchange Basic credentials for the Bearer token (conan remote login)" },
  { method: "GET", path: "/v2/users/check_credentials", summary: "check the credentials" },
  { method: "GET", path: "/v2/conans/search", summary: "search recipes by pattern (?q=name/version@user/channel, * wildcards)" },
  { method: "GET", path: `${RECIPE}/latest`, summary: "latest recipe revision" },
  { method: "GET", path: `${RECIPE}/revisions`, summary: "list recipe revisions, newest first" },
  { method: "GET", path: `${RECIPE}/search`, summary: "package ids of a recipe (settings, options, requires)" },
  { method: "DELETE", path: RREV, summary: "delete a recipe revision" },
  { method: "GET", path: `${RREV}/search`, summary: "package ids of a recipe revision" },
  { method: "GET", path: `${RREV}/files`, summary: "list the files of a recipe revision" },
  { method: "GET", path: `${RREV}/files/:file`, summary: "download a recipe file" },
  { method: "PUT", path: `${RREV}/files/:file`, summary: "upload a recipe file" },
  { method: "GET", path: `${PKG}/latest`, summary: "latest package revision" },
  { method: "GET", path: `${PKG}/revisions`, summary: "list package revisions, newest first" },
  { method: "DELETE", path: PREV, summary: "delete a package revision" },
  { method: "GET", path: `${PREV}/files`, summary: "list the files of a package revision" },
  { method: "GET", path: `${PREV}/files/:file`, summary: "download a package file" },
  { method: "PUT", path: `${PREV}/files/:file`, summary: "upload a package file" },
];

const RUN_PREFIX = "regkit-";

/**
 * Conan versions, ordered as Conan orders them for the common cases: numeric
 * parts numerically, then by code point, so distinct versions never compare equal.
 */
export function compareConanVersions(a: string, b: string): number {
  return compareNumericText(a, b);
}

export const conanKit = defineKit({
  format: "conan",
  title: "Conan",
  description:
    "Conan's server API v2 (GitLab's /packages/conan, conan_server): Basic login exchanged for a Bearer token, recipe revisions (conanfile.py + conanmanifest.txt) and binary package revisions (conaninfo.txt, conanmanifest.txt, conan_package.tgz) uploaded and downloaded with manifest and revision hashes checked, latest and revision lists, search by pattern, DELETE of revisions; the real conan 2 client (remote login, create, upload, install, list, search).",
  profiles: conanProfiles,
  defaultProfile: "gitlab",
  instanceLimit: GITLAB_CONAN_LIMIT,
  routes: conanRoutes,
  arbitraries: conanArbitraries,
  packageName: (runId, base) => `${RUN_PREFIX}${runId}-${base}`,
  ownsName: (runId, name) => name.startsWith(`${RUN_PREFIX}${runId}-`),
  build: buildConanPackage,
  compareVersions: compareConanVersions,
  connect: connectConan,
  drivers: conanDrivers,
  scenarios: conanScenarios,
  gitlabFacts: factList(conanGitLabFacts),
});
