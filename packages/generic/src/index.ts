// The Generic kit's public API: the client side only (the reference routes are at @regkit/generic/reference).
export { compareGenericVersions, genericKit, genericRoutes } from "./kit.js";
export { GenericClient, connectGeneric, davChildren, davHrefs } from "./client.js";
export type { GenericStatus, ListedPackage, PackageFileRecord, UploadOptions, UploadOutcome } from "./client.js";
export { CURL_LIMITS, createCurlDriver, curlAuthConfig, curlDriver, curlVersion, dumpedHeader, reportedStatus } from "./drivers.js";
export type { CurlLimits } from "./drivers.js";
export {
  CHECKSUM_HEADER,
  DUPLICATE_EXCEPTION_SETTING,
  GITLAB_GENERIC_LIMIT,
  HIDDEN_STATUS,
  HIDDEN_UNLISTED,
  PACKAGE_FILES_API,
  SELECT_PACKAGE_FILE,
  VALIDATES_NAMES,
  duplicateExceptionOf,
  genericProfiles,
  gitlabBasicProfile,
  gitlabProfile,
  webdavProfile,
} from "./profiles.js";
export type { GenericCapability, GenericProfile } from "./profiles.js";
export { genericGitLabFacts } from "./gitlab.js";
export {
  fileNameArbitrary,
  genericArbitraries,
  invalidFileNameArbitrary,
  invalidNameArbitrary,
  invalidVersionArbitrary,
  nameArbitrary,
  versionArbitrary,
} from "./arbitraries.js";
export { genericScenarios } from "./scenarios.js";
export { buildGenericPackage, mainFileName } from "./package.js";
