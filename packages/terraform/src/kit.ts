import { defineKit, factList, type RouteTemplate } from "@regkit/core";
import { terraformArbitraries } from "./arbitraries.js";
import { connectTerraform } from "./client.js";
import { terraformDrivers } from "./drivers.js";
import { terraformGitLabFacts } from "./gitlab.js";
import { buildTerraformPackage } from "./package.js";
import { terraformProfiles } from "./profiles.js";
import { terraformScenarios } from "./scenarios.js";

/** The Terraform modules protocol's standard routes, relative to the format endpoint (endpoints.audit and the docs read them). */
export const terraformRoutes: readonly RouteTemplate[] = [
  // { method: "PUT", path: "/:name/:version", summary: "publish" },
];

const RUN_PREFIX = "regkit-";

/** The Terraform modules kit. */
export const terraformKit = defineKit({
  format: "terraform",
  title: "Terraform modules",
  description: "The Terraform modules protocol (kit scaffolded, adapter to write).",
  profiles: terraformProfiles,
  defaultProfile: "gitlab",
  // GitLab's default instance limit for the format (a GitLab fact in ./gitlab.ts once read from GitLab's source).
  instanceLimit: 0,
  routes: terraformRoutes,
  arbitraries: terraformArbitraries,
  packageName: (runId, base) => `${RUN_PREFIX}${runId}-${base}`,
  ownsName: (runId, name) => name.startsWith(`${RUN_PREFIX}${runId}-`),
  build: buildTerraformPackage,
  compareVersions: (a, b) => a.localeCompare(b, "en", { numeric: true }),
  connect: connectTerraform,
  drivers: terraformDrivers,
  scenarios: terraformScenarios,
  gitlabFacts: factList(terraformGitLabFacts),
});
