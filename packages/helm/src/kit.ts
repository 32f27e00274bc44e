import { defineKit, factList, type RouteTemplate } from "@regkit/core";
import { helmArbitraries } from "./arbitraries.js";
import { connectHelm } from "./client.js";
import { helmDrivers } from "./drivers.js";
import { helmGitLabFacts } from "./gitlab.js";
import { buildHelmPackage } from "./package.js";
import { helmProfiles } from "./profiles.js";
import { helmScenarios } from "./scenarios.js";

/** The Helm protocol's standard routes, relative to the format endpoint (endpoints.audit and the docs read them). */
export const helmRoutes: readonly RouteTemplate[] = [
  // { method: "PUT", path: "/:name/:version", summary: "publish" },
];

const RUN_PREFIX = "regkit-";

/** The Helm kit. */
export const helmKit = defineKit({
  format: "helm",
  title: "Helm",
  description: "The Helm protocol (kit scaffolded, adapter to write).",
  profiles: helmProfiles,
  defaultProfile: "gitlab",
  // GitLab's default instance limit for the format (a GitLab fact in ./gitlab.ts once read from GitLab's source).
  instanceLimit: 0,
  routes: helmRoutes,
  arbitraries: helmArbitraries,
  packageName: (runId, base) => `${RUN_PREFIX}${runId}-${base}`,
  ownsName: (runId, name) => name.startsWith(`${RUN_PREFIX}${runId}-`),
  build: buildHelmPackage,
  compareVersions: (a, b) => a.localeCompare(b, "en", { numeric: true }),
  connect: connectHelm,
  drivers: helmDrivers,
  scenarios: helmScenarios,
  gitlabFacts: factList(helmGitLabFacts),
});
