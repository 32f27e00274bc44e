// The Terraform modules kit's public API: the client side only (the reference routes are at @regkit/terraform/reference).
export { modulesV1Routes, terraformAnnouncedRoutes, terraformKit, terraformPackageName, terraformRoutes } from "./kit.js";
export { DISCOVERY_PATH, TerraformClient, bearerHeaders, connectTerraform, moduleNamespace, namespaceFromEndpoint, versionsOf } from "./client.js";
export { TOFU_LIMITS, createTerraformDriver, createTofuDriver, terraformCliDriver, terraformDrivers, tofuDriver, tofuVersion } from "./drivers.js";
export type { TofuLimits } from "./drivers.js";
export { DOWNLOAD_TOKEN, GITLAB_TERRAFORM_LIMIT, LATEST_DOWNLOAD, MODULE_SYSTEM, NAMESPACE_SETTING, STATIC_FILES, VALIDATES_NAMES, gitlabProfile, staticProfile, terraformProfiles } from "./profiles.js";
export type { TerraformCapability, TerraformProfile } from "./profiles.js";
export { terraformGitLabFacts } from "./gitlab.js";
export { invalidNameArbitrary, invalidVersionArbitrary, nameArbitrary, terraformArbitraries, versionArbitrary } from "./arbitraries.js";
export { terraformScenarios } from "./scenarios.js";
export { archiveFileName, buildTerraformPackage, moduleArchive, splitModuleName } from "./package.js";
export { compareTerraformVersions, isSemver } from "./version.js";
export { makeCertificate, startTlsFront } from "./tls.js";
export type { TlsFront } from "./tls.js";
