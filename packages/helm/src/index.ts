// The Helm kit's public API: the client side only (the reference routes are at @regkit/helm/reference).
export { helmKit, helmRoutes } from "./kit.js";
export { HelmClient, chartForm, connectHelm, withoutEntry } from "./client.js";
export type { FetchedIndex } from "./client.js";
export { HELM_LIMITS, HELM_REPO, basicCredentials, createHelmDriver, dependencyUpdate, helm, helmDriver, helmDrivers, repoAdd, repositoryUrl, searchRepo } from "./drivers.js";
export type { HelmLimits, SearchRow } from "./drivers.js";
export { CHANNEL_SETTING, DEFAULT_CHANNEL, GITLAB_HELM_LIMIT, INDEX_ORDER_DEVIATION, INVALID_CHART_DEVIATION, PROCESSING_WAIT_SETTING, UPLOAD_API, VALIDATES_CHARTS, channelOf, gitlabProfile, helmProfiles, staticProfile } from "./profiles.js";
export type { HelmCapability, HelmProfile } from "./profiles.js";
export { helmGitLabFacts } from "./gitlab.js";
export { appVersionArbitrary, chartExtrasArbitrary, chartNameArbitrary, dependenciesArbitrary, helmArbitraries, semverArbitrary } from "./arbitraries.js";
export { helmClient, helmIndexEntries, helmIndexOrder, helmInvalidChart, helmScenarios } from "./scenarios.js";
export { buildChart, buildHelmPackage, chartMetadataOf } from "./package.js";
export type { ChartExtras } from "./package.js";
export { chartFileName, chartYaml, parseChartYaml, readChartYaml } from "./chart.js";
export type { ChartDependency, ChartMetadata } from "./chart.js";
export { fileNameOf, parseIndex } from "./index-file.js";
export type { IndexEntry, IndexFile } from "./index-file.js";
export { SEMVER, compareHelmVersions, semverPrecedence } from "./version.js";
