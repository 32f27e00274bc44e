/**
 * The Maven kit.
 *
 * @module
 */
import { type RouteTemplate, defineKit, factList } from "@regkit/core";
import { mavenArbitraries } from "./arbitraries.js";
import { connectMaven } from "./client.js";
import { mvnCentralDriver, mvnDriver } from "./drivers.js";
import { mavenGitLabFacts } from "./gitlab.js";
import { buildMavenArtifact } from "./package.js";
import { GITLAB_MAVEN_LIMIT, mavenProfiles } from "./profiles.js";
import { mavenScenarios } from "./scenarios.js";
import { compareMavenVersions } from "./version.js";

/**
 * Maven's whole protocol: GET, HEAD and PUT on the repository layout
 * `<groupId as path>/<artifactId>/<version>/<artifactId>-<version>[-<classifier>].<ext>`,
 * each file with `.sha1`/`.md5`/`.sha256`/`.sha512` next to it, and
 * `maven-metadata.xml` at `<artifactId>/` (and `<version>/` for SNAPSHOTs).
 * Any other method or endpoint a client needed is non-standard.
 */
export const mavenRoutes: readonly RouteTemplate[] = [
  {
    method: "PUT",
    path: "/*path",
    summary:
      "deploy a file: <group>/<artifactId>/<version>/<artifactId>-<version>[-<classifier>].<ext>, its .sha1/.md5/.sha256/.sha512, and maven-metadata.xml (artifact level, SNAPSHOT version level)",
  },
  {
    method: "GET",
    path: "/*path",
    summary: "download a file, a checksum file, or maven-metadata.xml (versions, latest, release; SNAPSHOT builds)",
  },
  { method: "HEAD", path: "/*path", summary: "check that a file exists (Maven Wagon)" },
];

const RUN_PREFIX = "io.regkit.r";

// No annotation: defineKit infers FormatKit<MavenClient, MavenProfile>, so
// scenarios and drivers see the Maven adapter and profiles without casts.
export const mavenKit = defineKit({
  format: "maven",
  title: "Maven",
  description:
    "Maven 2 repositories: deploys as Maven does (files, checksum files, maven-metadata.xml at artifact and SNAPSHOT level), resolves SNAPSHOTs (following redirects, as Maven does), verifies every checksum file it is served, orders versions with Maven's ComparableVersion.",
  profiles: mavenProfiles,
  defaultProfile: "gitlab",
  instanceLimit: GITLAB_MAVEN_LIMIT,
  routes: mavenRoutes,
  arbitraries: mavenArbitraries,
  packageName: (runId, base) => `${RUN_PREFIX}${runId}:${base}`,
  ownsName: (runId, name) => name.startsWith(`${RUN_PREFIX}${runId}:`),
  build: buildMavenArtifact,
  compareVersions: compareMavenVersions,
  connect: connectMaven,
  // Debian's plugins and the current ones from Maven Central: two client versions in results.
  drivers: [mvnDriver, mvnCentralDriver],
  scenarios: mavenScenarios,
  gitlabFacts: factList(mavenGitLabFacts),
});
