/**
 * The Terraform modules kit.
 *
 * @module
 */
import { type Exchange, type RouteTemplate, defineKit, factList } from "@regkit/core";
import { terraformArbitraries } from "./arbitraries.js";
import { DISCOVERY_PATH, announcedModulesBase, connectTerraform } from "./client.js";
import { terraformDrivers } from "./drivers.js";
import { terraformGitLabFacts } from "./gitlab.js";
import { buildTerraformPackage } from "./package.js";
import { GITLAB_TERRAFORM_LIMIT, MODULE_SYSTEM, terraformProfiles } from "./profiles.js";
import { terraformScenarios } from "./scenarios.js";
import { compareTerraformVersions } from "./version.js";

/**
 * The module registry protocol's fixed route: service discovery at the host
 * root. The protocol's other routes hang off the `modules.v1` base the
 * registry announces there ({@link terraformAnnouncedRoutes}).
 */
export const terraformRoutes: readonly RouteTemplate[] = [{ method: "GET", path: DISCOVERY_PATH, summary: "service discovery: the modules.v1 base of the protocol" }];

/** The protocol's routes under a `modules.v1` base (an absolute path ending in `/`). */
export function modulesV1Routes(base: string): RouteTemplate[] {
  const module = `${base}:namespace/:name/:system`;
  return [
    { method: "GET", path: `${module}/versions`, summary: "list a module's versions (modules.v1)" },
    { method: "GET", path: `${module}/:version/download`, summary: "where a version's archive is: 204 with X-Terraform-Get (modules.v1)" },
    { method: "GET", path: `${module}/download`, summary: "the latest version's download (modules.v1)" },
    { method: "GET", path: `${module}/:version/file`, summary: "the archive, at the URL X-Terraform-Get names (GitLab's)" },
    // go-getter, which Terraform and OpenTofu fetch archives with, asks with HEAD first.
    { method: "HEAD", path: `${module}/:version/file`, summary: "the archive's HEAD (go-getter asks before it downloads)" },
    { method: "GET", path: `${module}/:version`, summary: "a version's details (modules.v1)" },
    { method: "GET", path: module, summary: "the latest version's details (modules.v1)" },
  ];
}

/**
 * The routes under the `modules.v1` base each registry announced in its
 * discovery document during the run (as the adapter read it): requests there
 * are the protocol's, and only there.
 */
export function terraformAnnouncedRoutes(exchanges: readonly Exchange[]): readonly RouteTemplate[] {
  const bases = new Set<string>();
  for (const e of exchanges) {
    if (e.method !== "GET" || e.status !== 200 || e.path.split("?")[0] !== DISCOVERY_PATH) continue;
    let origin: string;
    try {
      origin = new URL(e.url).origin;
    } catch {
      continue;
    }
    const base = announcedModulesBase(origin);
    if (base) bases.add(base);
  }
  return [...bases].flatMap(modulesV1Routes);
}

const RUN_PREFIX = "regkit-";

/** A base name as a module name: lowercase letters, digits and `-` only (GitLab's rule and Terraform's address syntax). */
function slug(base: string): string {
  return base.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^-|-$/g, "") || "m";
}

/** `regkit-<run id>-<base>/local`: the module name carries the run id, the system is fixed. */
export function terraformPackageName(runId: string, base: string): string {
  return `${RUN_PREFIX}${runId}-${slug(base)}/${MODULE_SYSTEM}`;
}

// No annotation: defineKit infers FormatKit<TerraformClient, TerraformProfile>.
export const terraformKit = defineKit({
  format: "terraform",
  title: "Terraform modules",
  description:
    "Terraform modules through the module registry protocol (service discovery, versions, download with X-Terraform-Get and its token) as OpenTofu installs them, GitLab's upload route with its token headers, SemVer and name rules, duplicate versions refused.",
  profiles: terraformProfiles,
  defaultProfile: "gitlab",
  instanceLimit: GITLAB_TERRAFORM_LIMIT,
  routes: terraformRoutes,
  announcedRoutes: terraformAnnouncedRoutes,
  arbitraries: terraformArbitraries,
  packageName: terraformPackageName,
  ownsName: (runId, name) => name.startsWith(`${RUN_PREFIX}${runId}-`),
  build: buildTerraformPackage,
  compareVersions: compareTerraformVersions,
  connect: connectTerraform,
  drivers: terraformDrivers,
  scenarios: terraformScenarios,
  gitlabFacts: factList(terraformGitLabFacts),
});
