export { mavenKit, mavenRoutes } from "./kit.js";
export {
  davProfile,
  gitlabBasicProfile,
  gitlabPackageName,
  gitlabProfile,
  mavenProfiles,
  GITLAB_MAVEN_LIMIT,
  MD5_CHECKSUMS_DEVIATION,
  VERIFIES_CHECKSUMS,
  VERIFIES_SHA2_CHECKSUMS,
} from "./profiles.js";
export type { MavenCapability, MavenProfile } from "./profiles.js";
export { mavenGitLabFacts } from "./gitlab.js";
export { MavenClient, connectMaven, checksumValue } from "./client.js";
export { CENTRAL_PLUGINS, DEBIAN_PLUGINS, MVN_LIMITS, centralPluginRepository, createMvnDriver, mvnCentralDriver, mvnDriver, settingsXml } from "./drivers.js";
export type { MvnLimits, MvnPlugins } from "./drivers.js";
export { mavenScenarios } from "./scenarios.js";
export { buildMavenArtifact, buildJar, buildPom, buildClassifierJar, renderPom, IN_MEMORY_JAR_LIMIT } from "./package.js";
export { compareMavenVersions, canonicalMavenVersion, isSnapshotVersion } from "./version.js";
export {
  parseMavenMetadata,
  renderMavenMetadata,
  mergeArtifactMetadata,
  mergeSnapshotMetadata,
  resolveSnapshotFile,
  highestVersion,
  MetadataParseError,
} from "./metadata.js";
export type { MavenMetadata, Versioning, SnapshotVersion } from "./metadata.js";
export {
  parseCoordinates,
  coordinatesName,
  artifactSegments,
  repositoryPath,
  timestampedVersion,
  mavenTimestamps,
  fileKind,
  artifactFileName,
  CHECKSUM_ALGORITHMS,
  METADATA_FILE,
} from "./layout.js";
export type { Coordinates, ChecksumAlgorithm, FileKind } from "./layout.js";
export {
  mavenArbitraries,
  artifactIdArbitrary,
  invalidArtifactIdArbitrary,
  versionArbitrary,
  snapshotVersionArbitrary,
  distinctVersionsArbitrary,
  filesArbitrary,
} from "./arbitraries.js";
