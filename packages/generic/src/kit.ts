import { defineKit, factList, type RouteTemplate } from "@regkit/core";
import { genericArbitraries } from "./arbitraries.js";
import { connectGeneric } from "./client.js";
import { genericDrivers } from "./drivers.js";
import { genericGitLabFacts } from "./gitlab.js";
import { buildGenericPackage } from "./package.js";
import { genericProfiles } from "./profiles.js";
import { genericScenarios } from "./scenarios.js";

/** The Generic protocol's standard routes, relative to the format endpoint (endpoints.audit and the docs read them). */
export const genericRoutes: readonly RouteTemplate[] = [
  // { method: "PUT", path: "/:name/:version", summary: "publish" },
];

const RUN_PREFIX = "regkit-";

/** The Generic kit. */
export const genericKit = defineKit({
  format: "generic",
  title: "Generic",
  description: "The Generic protocol (kit scaffolded, adapter to write).",
  profiles: genericProfiles,
  defaultProfile: "gitlab",
  // GitLab's default instance limit for the format (a GitLab fact in ./gitlab.ts once read from GitLab's source).
  instanceLimit: 0,
  routes: genericRoutes,
  arbitraries: genericArbitraries,
  packageName: (runId, base) => `${RUN_PREFIX}${runId}-${base}`,
  ownsName: (runId, name) => name.startsWith(`${RUN_PREFIX}${runId}-`),
  build: buildGenericPackage,
  compareVersions: (a, b) => a.localeCompare(b, "en", { numeric: true }),
  connect: connectGeneric,
  drivers: genericDrivers,
  scenarios: genericScenarios,
  gitlabFacts: factList(genericGitLabFacts),
});
