// The Terraform modules kit's public API: the client side only (the reference routes are at @regkit/terraform/reference).
export { terraformKit, terraformRoutes } from "./kit.js";
export { connectTerraform } from "./client.js";
export type { TerraformClient } from "./client.js";
export { terraformDrivers } from "./drivers.js";
export { terraformProfiles } from "./profiles.js";
export type { TerraformProfile } from "./profiles.js";
export { terraformGitLabFacts } from "./gitlab.js";
export { terraformArbitraries } from "./arbitraries.js";
export { terraformScenarios } from "./scenarios.js";
export { buildTerraformPackage } from "./package.js";
