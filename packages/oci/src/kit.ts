import { defineKit, factList, type RouteTemplate } from "@regkit/core";
import { ociArbitraries } from "./arbitraries.js";
import { connectOci } from "./client.js";
import { ociDrivers } from "./drivers.js";
import { ociGitLabFacts } from "./gitlab.js";
import { buildOciPackage } from "./package.js";
import { ociProfiles } from "./profiles.js";
import { ociScenarios } from "./scenarios.js";

/** The OCI protocol's standard routes, relative to the format endpoint (endpoints.audit and the docs read them). */
export const ociRoutes: readonly RouteTemplate[] = [
  // { method: "PUT", path: "/:name/:version", summary: "publish" },
];

const RUN_PREFIX = "regkit-";

/** The OCI kit. */
export const ociKit = defineKit({
  format: "oci",
  title: "OCI",
  description: "The OCI protocol (kit scaffolded, adapter to write).",
  profiles: ociProfiles,
  defaultProfile: "gitlab",
  // GitLab's default instance limit for the format (a GitLab fact in ./gitlab.ts once read from GitLab's source).
  instanceLimit: 0,
  routes: ociRoutes,
  arbitraries: ociArbitraries,
  packageName: (runId, base) => `${RUN_PREFIX}${runId}-${base}`,
  ownsName: (runId, name) => name.startsWith(`${RUN_PREFIX}${runId}-`),
  build: buildOciPackage,
  compareVersions: (a, b) => a.localeCompare(b, "en", { numeric: true }),
  connect: connectOci,
  drivers: ociDrivers,
  scenarios: ociScenarios,
  gitlabFacts: factList(ociGitLabFacts),
});
