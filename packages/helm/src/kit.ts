/**
 * The Helm kit.
 *
 * @module
 */
import { defineKit, factList, type RouteTemplate } from "@regkit/core";
import { helmArbitraries } from "./arbitraries.js";
import { connectHelm } from "./client.js";
import { helmDrivers } from "./drivers.js";
import { helmGitLabFacts } from "./gitlab.js";
import { buildHelmPackage } from "./package.js";
import { GITLAB_HELM_LIMIT, helmProfiles } from "./profiles.js";
import { helmScenarios } from "./scenarios.js";
import { compareHelmVersions } from "./version.js";

/**
 * A chart repository (`<channel>/index.yaml` and the archives it points at)
 * and the ChartMuseum upload API, relative to the format endpoint, the
 * channel being the repository (ChartMuseum's depth-1 layout, GitLab's
 * `:channel`).
 */
export const helmRoutes: readonly RouteTemplate[] = [
  { method: "GET", path: "/:channel/index.yaml", summary: "the channel's chart index (Helm's repo index: entries, digests, urls)" },
  { method: "GET", path: "/:channel/charts/:file", summary: "a chart archive, as the index's urls point at it" },
  { method: "POST", path: "/api/:channel/charts", summary: "upload a chart (ChartMuseum API, multipart field `chart`)" },
];

const RUN_PREFIX = "regkit-";

// No annotation: defineKit infers FormatKit<HelmClient, HelmProfile>.
export const helmKit = defineKit({
  format: "helm",
  title: "Helm",
  description:
    "Helm chart repositories: the channel's index.yaml (digests, urls, SemVer order, the index limit) and chart archives built from fast-check specs (Chart.yaml apiVersion v2, app versions, dependencies) that helm lint accepts, uploaded with the ChartMuseum API as GitLab serves it; the real helm v3 adds the repository, searches it, pulls and resolves dependencies from it.",
  profiles: helmProfiles,
  defaultProfile: "gitlab",
  instanceLimit: GITLAB_HELM_LIMIT,
  routes: helmRoutes,
  arbitraries: helmArbitraries,
  packageName: (runId, base) => `${RUN_PREFIX}${runId}-${base}`,
  ownsName: (runId, name) => name.startsWith(`${RUN_PREFIX}${runId}-`),
  build: buildHelmPackage,
  compareVersions: compareHelmVersions,
  connect: connectHelm,
  drivers: helmDrivers,
  scenarios: helmScenarios,
  gitlabFacts: factList(helmGitLabFacts),
});
