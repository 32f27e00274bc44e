// The OCI kit's public API: the client side only (the reference routes are at @regkit/oci/reference).
export { ociKit, ociRoutes } from "./kit.js";
export { connectOci } from "./client.js";
export type { OciClient } from "./client.js";
export { ociDrivers } from "./drivers.js";
export { ociProfiles } from "./profiles.js";
export type { OciProfile } from "./profiles.js";
export { ociGitLabFacts } from "./gitlab.js";
export { ociArbitraries } from "./arbitraries.js";
export { ociScenarios } from "./scenarios.js";
export { buildOciPackage } from "./package.js";
