// The Conan kit's public API: the client side only (the reference routes are at @regkit/conan/reference).
export { compareConanVersions, conanKit, conanRoutes } from "./kit.js";
export { ConanClient, connectConan, parseReference } from "./client.js";
export type { ConanRevision, RevisionList } from "./client.js";
export { CONAN_LIMITS, REMOTE, basicCredentials, conanDriver, conanDrivers, conanVersion, createConanDriver } from "./drivers.js";
export type { ConanLimits } from "./drivers.js";
export { EMPTY_FILES_DEVIATION, GITLAB_CONAN_LIMIT, TOKEN_LOGIN, conanProfiles, conanServerProfile, gitlabProfile } from "./profiles.js";
export type { ConanCapability, ConanProfile } from "./profiles.js";
export { conanGitLabFacts } from "./gitlab.js";
export { conanArbitraries, invalidNameArbitrary, nameArbitrary, versionArbitrary } from "./arbitraries.js";
export { conanScenarios } from "./scenarios.js";
export { CONANINFO, CONANINFO_TEXT, MANIFEST, NONE, PACKAGE_PREFIX, PACKAGE_TGZ, RECIPE_FILE, buildConanPackage, layoutOf, manifestEntries, manifestText, md5Hex, revisionOf, withEmptyConaninfo } from "./package.js";
export type { ConanLayout } from "./package.js";
