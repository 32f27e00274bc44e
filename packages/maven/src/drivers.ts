/**
 * The real Maven client: `mvn deploy:deploy-file` to publish and
 * `maven-dependency-plugin:get` to resolve, with a generated `settings.xml`.
 *
 * - Credentials go where Maven users put them: the profile's headers as
 *   `<server><configuration><httpHeaders>` (GitLab's `PRIVATE-TOKEN`, ...), or a
 *   Basic profile's username and password as `<username>/<password>`.
 * - Offline: when `/usr/share/maven-repo` exists (Debian's `maven-repo-helper`
 *   layout) or `REGKIT_MAVEN_MIRROR` names a repository URL, Maven Central is
 *   mirrored there, so plugins resolve without the internet.
 * - Downloads use `checksumPolicy fail`: Maven itself rejects a file whose
 *   checksum files do not match, and the driver digests the file Maven stored.
 * - Every run gets its own local repository under the driver's workdir. mvn
 *   runs through core's `runTool`, which redacts `ctx.secrets` from its output
 *   and kills the JVM with its process group at the time limit.
 * - Bounded: Wagon (Maven 3.8's HTTP transport) retries nothing and gives up
 *   on a request after `requestMs` (its own read timeout is 30 minutes), and
 *   one deploy or resolve ends within `totalMs` whatever the registry does.
 * - Two drivers, one mvn: `mvn` runs Debian's plugins (`/usr/share/maven-repo`),
 *   `mvn-central` the current maven-deploy-plugin and maven-dependency-plugin
 *   from Maven Central, which `packages/maven/ci/install-tools.sh` fetches,
 *   pinned, into `$REGKIT_TOOLS/maven-repo`. Both name their plugins' versions,
 *   so results and the compatibility matrix tell them apart.
 *
 * @module
 */
import { createReadStream, createWriteStream, existsSync, readFileSync, readdirSync } from "node:fs";
import { copyFile, link, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  type Artifact,
  type ClientDriver,
  type DriverContext,
  ConformanceFailure,
  type ToolResult,
  digestOf,
  probeTool,
  runTool,
} from "@regkit/core";
import { artifactSegments, fileKind, parseCoordinates } from "./layout.js";
import type { MavenProfile } from "./profiles.js";

/** Debian's offline copy of the plugins Maven needs. */
const DEBIAN_REPOSITORY = "/usr/share/maven-repo";
const PLUGIN_GROUP = "org.apache.maven.plugins";
const DEPENDENCY_PLUGIN = process.env.REGKIT_MVN_DEPENDENCY_PLUGIN ?? `${PLUGIN_GROUP}:maven-dependency-plugin:3.5.0`;
/** Output kept as evidence: the end, where Maven prints why a build failed. */
const OUTPUT_LIMIT = 6000;
/** How long mvn may take against a registry, however badly the registry behaves. */
export interface MvnLimits {
  /** Wall-clock limit of one deploy or one resolve, JVM start included (ms). */
  readonly totalMs: number;
  /** Maven's own connect and read timeout for one request (ms). */
  readonly requestMs: number;
}

/** Four minutes for a deploy or a resolve of the small packages drivers get, a minute per request. */
export const MVN_LIMITS: MvnLimits = { totalMs: 240_000, requestMs: 60_000 };

function mirrorUrl(): string | undefined {
  if (process.env.REGKIT_MAVEN_MIRROR) return process.env.REGKIT_MAVEN_MIRROR;
  return existsSync(DEBIAN_REPOSITORY) ? `file://${DEBIAN_REPOSITORY}` : undefined;
}

/**
 * Where a driver's plugins come from: which repository stands in for Maven
 * Central offline, and the exact plugin versions its goals run (never a
 * prefix, so the version in results is the version that ran).
 */
export interface MvnPlugins {
  /** The driver's name in results (`mvn`, `mvn-central`). */
  readonly name: string;
  /** Where the plugins come from, for the version label ("Debian", "Maven Central"). */
  readonly origin: string;
  /** The repository URL Central is mirrored to (a `file://` URL), or undefined to go online. */
  mirror(): string | undefined;
  /** The plugin versions there, or why they are not there (the driver then skips with it). */
  versions(): { readonly deploy: string; readonly dependency: string } | { readonly missing: string };
}

/** The highest version of a plugin whose jar `repository` holds, or undefined. */
function jarVersion(repository: string, artifactId: string): string | undefined {
  const dir = join(repository, ...PLUGIN_GROUP.split("."), artifactId);
  let found: string[];
  try {
    found = readdirSync(dir).filter((v) => existsSync(join(dir, v, `${artifactId}-${v}.jar`)));
  } catch {
    return undefined;
  }
  const parts = (v: string): number[] => v.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  const newer = (a: string, b: string): number => {
    const [x, y] = [parts(a), parts(b)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  };
  return found.sort(newer).at(-1);
}

/** Debian's plugins, mirrored from `/usr/share/maven-repo` (or `REGKIT_MAVEN_MIRROR`): the `mvn` driver. */
export const DEBIAN_PLUGINS: MvnPlugins = {
  name: "mvn",
  origin: "Debian",
  mirror: mirrorUrl,
  versions() {
    const dependency = DEPENDENCY_PLUGIN.split(":")[2] ?? "3.5.0";
    const deploy = jarVersion(DEBIAN_REPOSITORY, "maven-deploy-plugin");
    // Another mirror (REGKIT_MAVEN_MIRROR) is trusted to hold Debian's versions: it cannot be listed.
    if (process.env.REGKIT_MAVEN_MIRROR) return { deploy: deploy ?? "3.0.0", dependency };
    const missing = [deploy ? "" : "maven-deploy-plugin", jarVersion(DEBIAN_REPOSITORY, "maven-dependency-plugin") ? "" : "maven-dependency-plugin"].filter(Boolean);
    if (!deploy || missing.length > 0) {
      return { missing: `${missing.join(" and ")} not in ${DEBIAN_REPOSITORY} (install Debian's ${missing.map((m) => `lib${m}-java`).join(" and ")}, or set REGKIT_MAVEN_MIRROR)` };
    }
    return { deploy, dependency };
  },
};

/** `$REGKIT_TOOLS/maven-repo`, where install-tools.sh puts the current plugins. */
export function centralPluginRepository(): string {
  return join(process.env.REGKIT_TOOLS ?? join(process.cwd(), ".regkit-tools"), "maven-repo");
}

/**
 * The current plugins from Maven Central, pre-fetched (pinned) by
 * `packages/maven/ci/install-tools.sh` into {@link centralPluginRepository}:
 * the `mvn-central` driver. The versions are the ones the script recorded in
 * its marker file, so the pins live in one place.
 */
export const CENTRAL_PLUGINS: MvnPlugins = {
  name: "mvn-central",
  origin: "Maven Central",
  mirror: () => `file://${centralPluginRepository()}`,
  versions() {
    const repository = centralPluginRepository();
    let marker: string;
    try {
      marker = readFileSync(join(repository, ".regkit-plugins"), "utf8").trim();
    } catch {
      return { missing: `the current Maven plugins are not in ${repository} (run: bash tooling/ci/install-tools.sh maven)` };
    }
    const deploy = /maven-deploy-plugin (\S+?),/.exec(marker)?.[1];
    const dependency = /maven-dependency-plugin (\S+)$/.exec(marker)?.[1];
    if (!deploy || !dependency || !jarVersion(repository, "maven-deploy-plugin") || !jarVersion(repository, "maven-dependency-plugin")) {
      return { missing: `${repository} does not hold the plugins its marker names ("${marker}"): run bash tooling/ci/install-tools.sh maven again` };
    }
    return { deploy, dependency };
  },
};

function escapeXml(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/** How the profile presents `credential`, turned into a `<server>` block. */
export function serverBlock(headers: Readonly<Record<string, string>>): string {
  const lines = ["    <server>", "      <id>regkit</id>"];
  const properties: string[] = [];
  let preemptive = false;
  for (const [name, value] of Object.entries(headers)) {
    const basic = /^basic\s+(.+)$/i.exec(value);
    if (name.toLowerCase() === "authorization" && basic) {
      const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      lines.push(`      <username>${escapeXml(decoded.slice(0, colon))}</username>`);
      lines.push(`      <password>${escapeXml(decoded.slice(colon + 1))}</password>`);
      preemptive = true;
    } else {
      properties.push(
        `          <property><name>${escapeXml(name)}</name><value>${escapeXml(value)}</value></property>`,
      );
    }
  }
  if (properties.length > 0 || preemptive) {
    lines.push("      <configuration>");
    if (properties.length > 0) lines.push("        <httpHeaders>", ...properties, "        </httpHeaders>");
    // Send Basic credentials with the first request instead of waiting for a 401 to every PUT.
    if (preemptive) lines.push("        <httpConfiguration><all><usePreemptive>true</usePreemptive></all></httpConfiguration>");
    lines.push("      </configuration>");
  }
  lines.push("    </server>");
  return lines.join("\n");
}

/** A `settings.xml` for one run: the offline mirror, the `regkit` server, and the registry as a fail-on-bad-checksum repository. */
export function settingsXml(options: { readonly registry: string; readonly headers: Readonly<Record<string, string>>; readonly mirror?: string | undefined }): string {
  const url = escapeXml(options.registry);
  const policy = "<enabled>true</enabled><updatePolicy>always</updatePolicy><checksumPolicy>fail</checksumPolicy>";
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    "<settings>",
    "  <interactiveMode>false</interactiveMode>",
    ...(options.mirror
      ? [
          "  <mirrors>",
          `    <mirror><id>regkit-offline</id><mirrorOf>central</mirrorOf><url>${escapeXml(options.mirror)}</url></mirror>`,
          "  </mirrors>",
        ]
      : []),
    "  <servers>",
    serverBlock(options.headers),
    "  </servers>",
    "  <profiles>",
    "    <profile>",
    "      <id>regkit</id>",
    "      <repositories>",
    `        <repository><id>regkit</id><url>${url}</url><releases>${policy}</releases><snapshots>${policy}</snapshots></repository>`,
    "      </repositories>",
    "    </profile>",
    "  </profiles>",
    "  <activeProfiles><activeProfile>regkit</activeProfile></activeProfiles>",
    "</settings>",
    "",
  ].join("\n");
}

type MavenDriverContext = DriverContext<MavenProfile>;

/**
 * The JVM options mvn runs with when the environment sets no `MAVEN_OPTS`:
 * the client JIT only (`TieredStopAtLevel=1`), one compiler thread, the
 * serial collector, and no `hsperfdata` file in the temporary directory per
 * run (`-UsePerfData`, which only `jstat` and the like read). Each mvn run
 * here is a short one (one deploy-file or one dependency:get), and on a
 * 2-core machine the JVM's optimising compiler, its compiler threads and the
 * parallel collector spend more CPU than the run itself: the first and third
 * took a third off each run, the single compiler thread a sixth of the rest
 * (a Maven kit run: 24 CPU-seconds of mvn where it was 28). They change how
 * the JVM runs Maven, not what Maven sends (the same common choice as many
 * CI pipelines' `.mvn/jvm.config`). A `MAVEN_OPTS` of the caller's, even
 * empty, wins.
 */
const MVN_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:+UseSerialGC -XX:-UsePerfData";

/** One mvn run; the output comes back with the target's and the credential's secrets redacted. */
function mvn(args: readonly string[], cwd: string, ctx: MavenDriverContext, limits: MvnLimits): Promise<ToolResult> {
  const env = { MAVEN_OPTS: process.env.MAVEN_OPTS ?? MVN_JVM_OPTIONS };
  return runTool({ command: "mvn", args, cwd, env, timeoutMs: limits.totalMs, signal: ctx.signal, secrets: ctx.secrets, tailBytes: OUTPUT_LIMIT });
}

async function writeContent(path: string, content: { stream(): AsyncIterable<Uint8Array>; bytes?: Uint8Array | undefined }): Promise<void> {
  if (content.bytes) await writeFile(path, content.bytes);
  else await pipeline(Readable.from(content.stream()), createWriteStream(path));
}

/**
 * Debian's maven-dependency-plugin declares `junit:junit:4.x`, which Debian's
 * offline repository does not carry; an empty placeholder in the run's local
 * repository lets the plugin resolve (it never loads JUnit).
 */
async function seedDebianPlaceholders(localRepository: string, mirror: string | undefined): Promise<void> {
  if (mirror !== `file://${DEBIAN_REPOSITORY}` || existsSync(join(DEBIAN_REPOSITORY, "junit/junit/4.x"))) return;
  const dir = join(localRepository, "junit/junit/4.x");
  await mkdir(dir, { recursive: true });
  // Written only where absent: a seeded repository already has them, linked to the seed's (never written through).
  const absent = (error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  };
  await writeFile(
    join(dir, "junit-4.x.pom"),
    '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion><groupId>junit</groupId><artifactId>junit</artifactId><version>4.x</version></project>\n',
    { flag: "wx" },
  ).catch(absent);
  // The smallest valid ZIP: an empty archive.
  await writeFile(join(dir, "junit-4.x.jar"), Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]), { flag: "wx" }).catch(absent);
}

/**
 * What a first mvn run of a goal resolved from the plugin mirror, kept in the
 * run's scratch directory ({@link DriverContext.runDir}) as the starting
 * local repository of the later runs of that goal and driver in the run.
 * Each run still gets a local repository of its own, and nothing the registry
 * served is kept (the package's group and the registry's metadata files are
 * left out), so every run still fetches the package under test from the
 * registry: what a seed saves is resolving and checking the plugins' hundred
 * jars again (a quarter of the CPU of a dependency:get, 0.7 s of its time).
 */
const pluginSeeds = new Map<string, Promise<string | undefined>>();
/** Files of a local repository that speak for a remote repository's state (the registry's `maven-metadata-regkit.xml`), never seeded. */
const NOT_SEEDED = /^(maven-metadata-(?!regkit-offline\.xml).*\.xml.*|resolver-status\.properties|.*\.lastUpdated)$/;

function seedKey(ctx: MavenDriverContext, plugins: MvnPlugins, goal: string): string | undefined {
  return ctx.runDir === undefined ? undefined : `${ctx.runDir}\u0000${plugins.name}\u0000${goal}`;
}

/** Keeps a successful run's local repository, without the package's group, as the seed of its goal (the first one only). */
async function keepSeed(ctx: MavenDriverContext, plugins: MvnPlugins, goal: string, local: string, groupId: string): Promise<void> {
  const key = seedKey(ctx, plugins, goal);
  if (key === undefined || pluginSeeds.has(key)) return;
  const seed = join(ctx.runDir!, `mvn-seed-${plugins.name}-${goal}`);
  const group = join(local, ...groupId.split("."));
  const made = copyRepository(local, seed, (source) => source !== group && !NOT_SEEDED.test(basename(source))).then(
    () => seed,
    () => undefined,
  );
  pluginSeeds.set(key, made);
  // Bounded: one entry per run, driver and goal; a finished run's seed is gone with its directory.
  if (pluginSeeds.size > 64) pluginSeeds.delete(pluginSeeds.keys().next().value!);
  await made;
}

/** Files a local repository only ever gets whole (resolved artifacts): shared by a hard link, not copied. */
const LINKED = /\.(jar|pom)$/;

/**
 * Copies a local repository: its jars and poms hard-linked (where the file
 * system allows, else copied), every other file copied. Maven writes a
 * resolved artifact once, through a temporary file renamed into place, and
 * never into it, so a link is as good as a copy; the files it does rewrite in
 * place (`_remote.repositories`, `resolver-status.properties`, metadata) are
 * copies of their own. A seed of 700 files and 23 MB copied with `fs.cp` cost
 * most of a CPU-second, and a Maven run copies one or two.
 */
async function copyRepository(from: string, to: string, keep: (source: string) => boolean = () => true): Promise<void> {
  await mkdir(to, { recursive: true });
  const entries = await readdir(from, { withFileTypes: true });
  await Promise.all(
    entries.map(async (entry) => {
      const source = join(from, entry.name);
      if (!keep(source)) return;
      const target = join(to, entry.name);
      if (entry.isDirectory()) return copyRepository(source, target, keep);
      if (!entry.isFile()) return;
      if (LINKED.test(entry.name)) {
        try {
          return await link(source, target);
        } catch {
          // Another file system, or links refused: a copy.
        }
      }
      await copyFile(source, target);
    }),
  );
}

async function prepare(ctx: MavenDriverContext, label: string, plugins: MvnPlugins): Promise<{ dir: string; settings: string; local: string }> {
  const dir = join(ctx.workdir, `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`);
  const local = join(dir, "repository");
  await mkdir(join(dir, "project"), { recursive: true });
  const key = seedKey(ctx, plugins, label);
  const seed = key === undefined ? undefined : await pluginSeeds.get(key);
  // A seed that cannot be copied (its run is over) is no seed: the run resolves everything itself.
  if (seed) await copyRepository(seed, local).catch(() => rm(local, { recursive: true, force: true }));
  const headers = ctx.target.profile.authHeaders(ctx.credential);
  const mirror = plugins.mirror();
  const settings = join(dir, "settings.xml");
  await writeFile(settings, settingsXml({ registry: ctx.registry, headers, mirror }), { mode: 0o600 });
  await seedDebianPlaceholders(local, mirror);
  return { dir, settings, local };
}

function commonArgs(settings: string, local: string, limits: MvnLimits): string[] {
  const ms = String(limits.requestMs);
  return [
    "-B",
    "-Dstyle.color=never",
    "-s",
    settings,
    `-Dmaven.repo.local=${local}`,
    // Wagon's read timeout: 30 minutes unless set, so one unanswered request would outlast any limit.
    `-Dmaven.wagon.rto=${ms}`,
    // Wagon's connect timeout is the larger of these two (the request timeout defaults to 30 minutes).
    `-Daether.connector.connectTimeout=${ms}`,
    `-Daether.connector.requestTimeout=${ms}`,
    // No silent repeats of a request that failed on the wire (Wagon retries 3 times by default).
    "-Dmaven.wagon.http.retryHandler.count=0",
  ];
}

/** The plugin versions `plugins` has, or throws why not (a driver that is unavailable is never asked to run). */
function pluginVersions(plugins: MvnPlugins): { readonly deploy: string; readonly dependency: string } {
  const found = plugins.versions();
  if ("missing" in found) throw new Error(`${plugins.name}: ${found.missing}`);
  return found;
}

/** The real Maven client, bounded by `limits` (tests shorten them), with Debian's plugins or `plugins`. */
export function createMvnDriver(limits: MvnLimits = MVN_LIMITS, plugins: MvnPlugins = DEBIAN_PLUGINS): ClientDriver<MavenProfile> {
  return {
    name: plugins.name,

    async unavailable() {
      if (!(await probeTool("mvn", ["-v"]))) return "mvn not found on PATH (or `mvn -v` failed)";
      // Offline, the plugins must already be in the mirror, or every deploy fails resolving them.
      const found = plugins.versions();
      return "missing" in found ? found.missing : undefined;
    },

    async version() {
      const found = plugins.versions();
      const mvnVersion = (await probeTool("mvn", ["-v"])) ?? "mvn (not found)";
      if ("missing" in found) return `${mvnVersion}; plugins from ${plugins.origin} missing`;
      return `${mvnVersion}; maven-deploy-plugin ${found.deploy}, maven-dependency-plugin ${found.dependency} (${plugins.origin})`;
    },

    async publish(artifact: Artifact, ctx: MavenDriverContext) {
      const coordinates = parseCoordinates(artifact.name);
      const { deploy } = pluginVersions(plugins);
      const run1 = await prepare(ctx, "deploy", plugins);
      try {
        const jar = join(run1.dir, artifact.filename);
        await writeContent(jar, artifact.content);
        const prefix = `${coordinates.artifactId}-${artifact.version}`;
        let pom: string | undefined;
        const files: string[] = [];
        const classifiers: string[] = [];
        const types: string[] = [];
        for (const extra of artifact.extra ?? []) {
          const kind = fileKind(extra.filename, prefix);
          const path = join(run1.dir, extra.filename);
          await writeContent(path, extra.content);
          if (kind && !kind.classifier && kind.extension === "pom") {
            pom = path;
          } else if (kind) {
            files.push(path);
            classifiers.push(kind.classifier ?? "");
            types.push(kind.extension);
          }
        }
        const args = [
          ...commonArgs(run1.settings, run1.local, limits),
          `${PLUGIN_GROUP}:maven-deploy-plugin:${deploy}:deploy-file`,
          `-Dfile=${jar}`,
          ...(pom
            ? [`-DpomFile=${pom}`]
            : [`-DgroupId=${coordinates.groupId}`, `-DartifactId=${coordinates.artifactId}`, `-Dversion=${artifact.version}`, "-Dpackaging=jar", "-DgeneratePom=true"]),
          ...(files.length > 0 ? [`-Dfiles=${files.join(",")}`, `-Dclassifiers=${classifiers.join(",")}`, `-Dtypes=${types.join(",")}`] : []),
          `-Durl=${ctx.registry}`,
          "-DrepositoryId=regkit",
          // One attempt per file: the deploy plugin's own retry stays off.
          "-DretryFailedDeploymentCount=1",
        ];
        const result = await mvn(args, join(run1.dir, "project"), ctx, limits);
        if (result.code === 0) await keepSeed(ctx, plugins, "deploy", run1.local, coordinates.groupId);
        return { accepted: result.code === 0, output: result.output };
      } finally {
        await rm(run1.settings, { force: true });
      }
    },

    async install(name: string, version: string, ctx: MavenDriverContext) {
      const coordinates = parseCoordinates(name);
      const { dependency } = pluginVersions(plugins);
      const run2 = await prepare(ctx, "get", plugins);
      try {
        const args = [
          ...commonArgs(run2.settings, run2.local, limits),
          `${PLUGIN_GROUP}:maven-dependency-plugin:${dependency}:get`,
          `-Dartifact=${coordinates.groupId}:${coordinates.artifactId}:${version}`,
          "-Dtransitive=false",
        ];
        const result = await mvn(args, join(run2.dir, "project"), ctx, limits);
        if (result.code !== 0) {
          throw new ConformanceFailure(`${plugins.name} could not resolve ${name}:${version}`, {
            expected: `mvn dependency:get ${name}:${version} succeeds (maven-dependency-plugin ${dependency}, ${plugins.origin})`,
            actual: `exit code ${result.code}: ${result.output.slice(-1500)}`,
          });
        }
        // Maven keeps a resolved SNAPSHOT under its base version name as well as its timestamped one.
        const file = join(run2.local, ...artifactSegments(coordinates), version, `${coordinates.artifactId}-${version}.jar`);
        if (!existsSync(file)) {
          throw new ConformanceFailure(`${plugins.name} reported success but stored no ${coordinates.artifactId}-${version}.jar`, {
            expected: file,
            actual: "missing",
          });
        }
        const { digests } = await digestOf(createReadStream(file));
        await keepSeed(ctx, plugins, "get", run2.local, coordinates.groupId);
        return { digests, output: result.output };
      } finally {
        await rm(run2.settings, { force: true });
      }
    },
  };
}

/** mvn with Debian's plugins and {@link MVN_LIMITS}: the kit's first driver. */
export const mvnDriver: ClientDriver<MavenProfile> = createMvnDriver();

/** mvn with the current plugins from Maven Central (pre-fetched by install-tools.sh) and {@link MVN_LIMITS}: the kit's second driver. */
export const mvnCentralDriver: ClientDriver<MavenProfile> = createMvnDriver(MVN_LIMITS, CENTRAL_PLUGINS);
