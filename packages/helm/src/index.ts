// The Helm kit's public API: the client side only (the reference routes are at @regkit/helm/reference).
export { helmKit, helmRoutes } from "./kit.js";
export { connectHelm } from "./client.js";
export type { HelmClient } from "./client.js";
export { helmDrivers } from "./drivers.js";
export { helmProfiles } from "./profiles.js";
export type { HelmProfile } from "./profiles.js";
export { helmGitLabFacts } from "./gitlab.js";
export { helmArbitraries } from "./arbitraries.js";
export { helmScenarios } from "./scenarios.js";
export { buildHelmPackage } from "./package.js";
