// The Generic kit's public API: the client side only (the reference routes are at @regkit/generic/reference).
export { genericKit, genericRoutes } from "./kit.js";
export { connectGeneric } from "./client.js";
export type { GenericClient } from "./client.js";
export { genericDrivers } from "./drivers.js";
export { genericProfiles } from "./profiles.js";
export type { GenericProfile } from "./profiles.js";
export { genericGitLabFacts } from "./gitlab.js";
export { genericArbitraries } from "./arbitraries.js";
export { genericScenarios } from "./scenarios.js";
export { buildGenericPackage } from "./package.js";
