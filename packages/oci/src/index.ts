// The OCI kit's public API: the client side only (the reference routes are at @regkit/oci/reference).
export { ociAnnouncedRoutes, ociKit, ociRoutes } from "./kit.js";
export { challengeScopes, connectOci, splitRegistry } from "./client.js";
export type { Answer, OciClient, PulledManifest, TokenGrant, UploadOptions } from "./client.js";
export { OCI_TOOL_LIMITS, createCrane, createOras, createSkopeo, createUmoci, ociDrivers } from "./drivers.js";
export type { OciToolLimits } from "./drivers.js";
export { CHUNK_ORDER, TAGS_PAGINATION, distribution, gitlab, ociProfiles } from "./profiles.js";
export type { OciProfile } from "./profiles.js";
export { ociGitLabFacts } from "./gitlab.js";
export { ociArbitraries, index as indexArbitrary, invalidName, manifest as manifestArbitrary, nameComponent, repositoryPath, tag } from "./arbitraries.js";
export type { GeneratedImage } from "./arbitraries.js";
export { ociScenarios } from "./scenarios.js";
export { buildOciPackage } from "./package.js";
export { bearerChallenge, parseChallenges, parseScope, repositoryScope, tokenAccess } from "./auth.js";
export type { Challenge, Scope } from "./auth.js";
export {
  CLIENT_ACCEPT,
  DIGEST_REGEX,
  EMPTY_DESCRIPTOR,
  ERROR_CODES,
  MEDIA,
  NAME_REGEX,
  TAG_REGEX,
  errorCodes,
  imageIndex,
  imageManifest,
  nextLink,
  parseManifest,
  referrersTag,
  sha256Digest,
} from "./manifest.js";
export type { Descriptor, ErrorCode, ImageIndex, ImageManifest } from "./manifest.js";
