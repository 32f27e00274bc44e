import { defineKit, factList, type RouteTemplate } from "@regkit/core";
import { conanArbitraries } from "./arbitraries.js";
import { connectConan } from "./client.js";
import { conanDrivers } from "./drivers.js";
import { conanGitLabFacts } from "./gitlab.js";
import { buildConanPackage } from "./package.js";
import { conanProfiles } from "./profiles.js";
import { conanScenarios } from "./scenarios.js";

/** The Conan protocol's standard routes, relative to the format endpoint (endpoints.audit and the docs read them). */
export const conanRoutes: readonly RouteTemplate[] = [
  // { method: "PUT", path: "/:name/:version", summary: "publish" },
];

const RUN_PREFIX = "regkit-";

/** The Conan kit. */
export const conanKit = defineKit({
  format: "conan",
  title: "Conan",
  description: "The Conan protocol (kit scaffolded, adapter to write).",
  profiles: conanProfiles,
  defaultProfile: "gitlab",
  // GitLab's default instance limit for the format (a GitLab fact in ./gitlab.ts once read from GitLab's source).
  instanceLimit: 0,
  routes: conanRoutes,
  arbitraries: conanArbitraries,
  packageName: (runId, base) => `${RUN_PREFIX}${runId}-${base}`,
  ownsName: (runId, name) => name.startsWith(`${RUN_PREFIX}${runId}-`),
  build: buildConanPackage,
  compareVersions: (a, b) => a.localeCompare(b, "en", { numeric: true }),
  connect: connectConan,
  drivers: conanDrivers,
  scenarios: conanScenarios,
  gitlabFacts: factList(conanGitLabFacts),
});
