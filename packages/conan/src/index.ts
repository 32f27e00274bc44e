// The Conan kit's public API: the client side only (the reference routes are at @regkit/conan/reference).
export { conanKit, conanRoutes } from "./kit.js";
export { connectConan } from "./client.js";
export type { ConanClient } from "./client.js";
export { conanDrivers } from "./drivers.js";
export { conanProfiles } from "./profiles.js";
export type { ConanProfile } from "./profiles.js";
export { conanGitLabFacts } from "./gitlab.js";
export { conanArbitraries } from "./arbitraries.js";
export { conanScenarios } from "./scenarios.js";
export { buildConanPackage } from "./package.js";
