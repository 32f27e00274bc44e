/**
 * The Generic kit.
 *
 * @module
 */
import { compareNumericText, defineKit, factList, type RouteTemplate } from "@regkit/core";
import { genericArbitraries } from "./arbitraries.js";
import { connectGeneric } from "./client.js";
import { curlDriver } from "./drivers.js";
import { genericGitLabFacts } from "./gitlab.js";
import { buildGenericPackage } from "./package.js";
import { GITLAB_GENERIC_LIMIT, genericProfiles } from "./profiles.js";
import { genericScenarios } from "./scenarios.js";

/**
 * The Generic protocol: PUT and GET of files at `:name/:version/(*path/):file`.
 * Listing and removal are not part of it (GitLab's Packages API, WebDAV's
 * PROPFIND and DELETE): endpoints.audit reports them as what they are.
 */
export const genericRoutes: readonly RouteTemplate[] = [
  { method: "PUT", path: "/:name/:version/*file", summary: "upload a file of a version (?select=package_file answers with the stored file, ?status=hidden hides the package from lists)" },
  { method: "GET", path: "/:name/:version/*file", summary: "download a file of a version (X-Checksum-SHA256 on GitLab)" },
];

const RUN_PREFIX = "regkit-";

/**
 * Generic versions are opaque strings: equal only when identical; ordered
 * numerically where they hold numbers, then by code point so that distinct
 * versions never compare equal.
 */
export function compareGenericVersions(a: string, b: string): number {
  return compareNumericText(a, b);
}

// No annotation: defineKit infers FormatKit<GenericClient, GenericProfile>.
export const genericKit = defineKit({
  format: "generic",
  title: "Generic",
  description:
    "GitLab's Generic packages: files of any name PUT and GET under :name/:version, with curl as GitLab documents it; versions, files and cleanup through GitLab's Packages API (or WebDAV PROPFIND and DELETE); select=package_file, status=hidden, name/version/file-name rules and the duplicate exception pattern checked.",
  profiles: genericProfiles,
  defaultProfile: "gitlab",
  instanceLimit: GITLAB_GENERIC_LIMIT,
  routes: genericRoutes,
  arbitraries: genericArbitraries,
  packageName: (runId, base) => `${RUN_PREFIX}${runId}-${base}`,
  ownsName: (runId, name) => name.startsWith(`${RUN_PREFIX}${runId}-`),
  build: buildGenericPackage,
  compareVersions: compareGenericVersions,
  connect: connectGeneric,
  drivers: [curlDriver],
  scenarios: genericScenarios,
  gitlabFacts: factList(genericGitLabFacts),
});
