// Unit tests of the kit's own pieces, no registry involved.
//
// ComparableVersion: cases from Maven's own ComparableVersionTest (as Maven
// 3.8 answers them), properties of the order, and a cross-check against the
// real org.apache.maven.artifact.versioning.ComparableVersion when Java and
// Maven are installed.
//
// Artifacts: the ones the kit builds are real: valid jars (checked by unzip,
// javap and Maven's own pom reader when installed), poms with matching
// coordinates, exact padded sizes, the same bytes for the same spec.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as fc from "fast-check";
import { collect, readZip } from "@regkit/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IN_MEMORY_JAR_LIMIT, buildClassifierJar, buildMavenArtifact, mavenKit } from "@regkit/maven";
import { snapshotVersionArbitrary, versionArbitrary } from "../src/arbitraries.js";
import { canonicalMavenVersion, compareMavenVersions, isSnapshotVersion } from "../src/version.js";

const run = promisify(execFile);
const sign = (n: number) => Math.sign(n);

function expectOrdered(versions: readonly string[]): void {
  for (let i = 0; i < versions.length; i++) {
    for (let j = i + 1; j < versions.length; j++) {
      const a = versions[i]!;
      const b = versions[j]!;
      expect(sign(compareMavenVersions(a, b)), `${a} < ${b}`).toBe(-1);
      expect(sign(compareMavenVersions(b, a)), `${b} > ${a}`).toBe(1);
    }
  }
}

describe("compareMavenVersions: Maven's ComparableVersionTest cases", () => {
  it("orders qualifiers: alpha < beta < milestone < rc = cr < snapshot < release < sp < unknown (lexical) < numbers", () => {
    expectOrdered([
      "1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2", "1-m11", "1-rc", "1-cr2",
      "1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123", "1-abc", "1-def", "1-pom-1", "1-1-snapshot", "1-1",
      "1-2", "1-123",
    ]);
  });

  it("orders numbers and letters (a, b, m followed by a digit are alpha, beta, milestone)", () => {
    expectOrdered([
      "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1", "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11",
      "11.b2", "11.b11", "11.m2", "11.m11", "11", "11.a", "11b", "11c", "11m",
    ]);
    expectOrdered(["2.0", "2.0.a", "2-1"]);
  });

  it.each([
    ["1", "1.0"], ["1", "1.0.0"], ["1.0", "1.0.0"], ["1", "1-0"], ["1", "1.0-0"], ["1.0", "1.0-0"],
    ["1a", "1-a"], ["1a", "1.0-a"], ["1a", "1.0.0-a"], ["1.0a", "1-a"], ["1.0.0a", "1-a"],
    ["1x", "1-x"], ["1x", "1.0-x"], ["1x", "1.0.0-x"], ["1.0x", "1-x"], ["1.0.0x", "1-x"],
    ["1ga", "1"], ["1release", "1"], ["1final", "1"], ["1cr", "1rc"],
    ["1a1", "1-alpha-1"], ["1b2", "1-beta-2"], ["1m3", "1-milestone-3"],
    ["1X", "1x"], ["1A", "1a"], ["1B", "1b"], ["1M", "1m"], ["1Ga", "1"], ["1GA", "1"], ["1RELEASE", "1"],
    ["1RELeaSE", "1"], ["1Final", "1"], ["1FinaL", "1"], ["1FINAL", "1"], ["1Cr", "1Rc"], ["1cR", "1rC"],
    ["1m3", "1Milestone3"], ["1m3", "1MileStone3"], ["1m3", "1MILESTONE3"], ["0000000000000000001", "1"],
  ])("%s == %s", (a, b) => {
    expect(compareMavenVersions(a, b)).toBe(0);
    expect(compareMavenVersions(b, a)).toBe(0);
    expect(canonicalMavenVersion(a)).toBe(canonicalMavenVersion(b));
  });

  it.each([
    ["1", "2"], ["1.5", "2"], ["1", "2.5"], ["1.0", "1.1"], ["1.1", "1.2"], ["1.0.0", "1.1"], ["1.0.1", "1.1"],
    ["1.1", "1.2.0"], ["1.0-alpha-1", "1.0"], ["1.0-alpha-1", "1.0-alpha-2"], ["1.0-alpha-1", "1.0-beta-1"],
    ["1.0-beta-1", "1.0-SNAPSHOT"], ["1.0-SNAPSHOT", "1.0"], ["1.0-alpha-1-SNAPSHOT", "1.0-alpha-1"], ["1.0", "1.0-1"],
    ["1.0-1", "1.0-2"], ["1.0.0", "1.0-1"], ["2.0-1", "2.0.1"], ["2.0.1-klm", "2.0.1-lmn"], ["2.0.1", "2.0.1-xyz"],
    ["2.0.1", "2.0.1-123"], ["2.0.1-xyz", "2.0.1-123"],
    // MNG-5568, MNG-6572: unusual strings and numbers beyond int and long
    ["6.1.0rc3", "6.1.0"], ["6.1.0rc3", "6.1H.5-beta"], ["6.1.0", "6.1H.5-beta"],
    ["20190126.230843", "1234567890.12345"], ["1234567890.12345", "123456789012345.1H.5-beta"],
    ["123456789012345.1H.5-beta", "12345678901234567890.1H.5-beta"],
    // MNG-6964
    ["1-0.alpha", "1"], ["1-0.beta", "1"], ["1-0.alpha", "1-0.beta"],
    // The example in regkit's protocol notes
    ["1.0.RC2", "1.0-RC3"], ["1.0-RC3", "1.0.1"],
  ])("%s < %s", (a, b) => {
    expect(sign(compareMavenVersions(a, b))).toBe(-1);
    expect(sign(compareMavenVersions(b, a))).toBe(1);
  });

  it("gives Maven's canonical forms", () => {
    expect(canonicalMavenVersion("1.0.RC2")).toBe("1-rc-2");
    expect(canonicalMavenVersion("1.0-alpha")).toBe("1-alpha");
    expect(canonicalMavenVersion("1.0.0")).toBe("1");
    expect(canonicalMavenVersion("1.0-SNAPSHOT")).toBe("1-snapshot");
    expect(canonicalMavenVersion("2.0.a")).toBe("2-a");
  });

  it("recognizes SNAPSHOT versions as Maven Resolver does", () => {
    expect(isSnapshotVersion("1.0-SNAPSHOT")).toBe(true);
    expect(isSnapshotVersion("1.0-snapshot")).toBe(false);
    expect(isSnapshotVersion("1.0")).toBe(false);
  });
});

describe("compareMavenVersions: properties", () => {
  const anyVersion = fc.oneof(versionArbitrary(), snapshotVersionArbitrary());

  it("is antisymmetric and agrees with the canonical form on equality", () => {
    fc.assert(
      fc.property(anyVersion, anyVersion, (a, b) => {
        expect(sign(compareMavenVersions(a, b)) + sign(compareMavenVersions(b, a))).toBe(0);
        if (canonicalMavenVersion(a) === canonicalMavenVersion(b)) expect(compareMavenVersions(a, b)).toBe(0);
      }),
    );
  });

  it("is transitive", () => {
    fc.assert(
      fc.property(anyVersion, anyVersion, anyVersion, (a, b, c) => {
        const [x, y, z] = [a, b, c].sort(compareMavenVersions) as [string, string, string];
        expect(compareMavenVersions(x, z)).toBeLessThanOrEqual(0);
        if (compareMavenVersions(x, y) < 0 || compareMavenVersions(y, z) < 0) expect(compareMavenVersions(x, z)).toBeLessThan(0);
      }),
    );
  });

  it("puts a SNAPSHOT of numbers below its release", () => {
    // Only for plain numbers: Maven itself ranks 0.alpha-SNAPSHOT above 0.alpha.
    const numbers = fc.array(fc.nat(30), { minLength: 1, maxLength: 4 }).map((ns) => ns.join("."));
    fc.assert(fc.property(numbers, (v) => compareMavenVersions(`${v}-SNAPSHOT`, v) < 0));
  });

  it("generates versions GitLab accepts (no `..`, only [A-Za-z0-9_+.-])", () => {
    fc.assert(fc.property(versionArbitrary(), (v) => /^(?!.*\.\.)[A-Za-z0-9_+.-]+$/.test(v) && !isSnapshotVersion(v)));
  });
});

/** The maven-artifact jar (its main class is ComparableVersion), if Maven is installed. */
function mavenArtifactJar(): string | undefined {
  for (const dir of ["/usr/share/maven/lib", "/usr/share/java"]) {
    if (!existsSync(dir)) continue;
    const jar = readdirSync(dir).find((f) => /^maven-artifact-[\d.x]+\.jar$/.test(f));
    if (jar) return join(dir, jar);
  }
  return undefined;
}

const jar = mavenArtifactJar();
const java = ["/usr/bin/java", process.env.JAVA_HOME ? join(process.env.JAVA_HOME, "bin", "java") : ""].find(
  (p) => p && existsSync(p),
);
const crossCheckSkip = !jar ? "maven-artifact jar not found under /usr/share/maven/lib or /usr/share/java" : !java ? "java not found" : undefined;

describe("compareMavenVersions against Maven's own ComparableVersion", () => {
  it.skipIf(crossCheckSkip !== undefined)(`orders generated versions as Maven does${crossCheckSkip ? ` (skipped: ${crossCheckSkip})` : ""}`, async () => {
    // One JVM per batch: Maven's main() compares each argument with the one before it.
    const batches = fc.sample(
      fc.array(fc.oneof(versionArbitrary(), snapshotVersionArbitrary(), fc.stringMatching(/^[0-9a-zA-Z.-]{1,12}$/)), {
        minLength: 150,
        maxLength: 150,
      }),
      { numRuns: 4 },
    );
    for (const versions of batches) {
      const { stdout } = await run(java!, ["-cp", jar!, "org.apache.maven.artifact.versioning.ComparableVersion", ...versions], {
        maxBuffer: 16 * 1024 * 1024,
      });
      const verdicts = stdout
        .split("\n")
        .filter((line) => /^ {3}\S/.test(line))
        .map((line) => / (==|<|>) /.exec(line)?.[1]);
      expect(verdicts).toHaveLength(versions.length - 1);
      for (let i = 1; i < versions.length; i++) {
        const ours = sign(compareMavenVersions(versions[i - 1]!, versions[i]!));
        const theirs = verdicts[i - 1] === "<" ? -1 : verdicts[i - 1] === ">" ? 1 : 0;
        expect(ours, `${versions[i - 1]} vs ${versions[i]}`).toBe(theirs);
      }
    }
  });
});

describe("building Maven artifacts", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "regkit-maven-build-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("builds a jar with a manifest, the embedded pom and a class, and a pom with the same coordinates", async () => {
    const artifact = await buildMavenArtifact({
      name: "io.regkit.rtest:demo",
      version: "1.0-rc1",
      description: "a <demo> & more",
      files: { "res/data.txt": new Uint8Array([1, 2, 3]) },
    });
    expect(artifact.filename).toBe("demo-1.0-rc1.jar");
    expect(artifact.extra?.map((f) => f.filename)).toEqual(["demo-1.0-rc1.pom"]);
    const entries = readZip(artifact.content.bytes!);
    const names = entries.map((e) => e.path);
    expect(names).toContain("META-INF/MANIFEST.MF");
    expect(names).toContain("io/regkit/generated/Marker.class");
    expect(names).toContain("META-INF/maven/io.regkit.rtest/demo/pom.xml");
    expect(Buffer.from(entries.find((e) => e.path === "res/data.txt")!.data)).toEqual(Buffer.from([1, 2, 3]));
    const pom = Buffer.from(artifact.extra![0]!.content.bytes!).toString("utf8");
    expect(pom).toContain("<groupId>io.regkit.rtest</groupId>");
    expect(pom).toContain("<artifactId>demo</artifactId>");
    expect(pom).toContain("<version>1.0-rc1</version>");
    expect(pom).toContain("a &lt;demo&gt; &amp; more");
  });

  it("gives the same bytes for the same spec and different bytes for another version", async () => {
    const a = await mavenKit.build({ name: "io.regkit.rtest:same", version: "1.0" });
    const b = await mavenKit.build({ name: "io.regkit.rtest:same", version: "1.0" });
    const c = await mavenKit.build({ name: "io.regkit.rtest:same", version: "1.1" });
    expect(a.content.digests).toEqual(b.content.digests);
    expect(a.content.digests.sha256).not.toBe(c.content.digests.sha256);
  });

  it("pads to exactly spec.size, in memory below the limit and streamed above it", async () => {
    const small = await mavenKit.build({ name: "io.regkit.rtest:pad", version: "1.0", size: 100_000 });
    expect(small.content.size).toBe(100_000);
    expect(small.content.bytes?.byteLength).toBe(100_000);

    const size = IN_MEMORY_JAR_LIMIT + 12_345;
    const large = await mavenKit.build({ name: "io.regkit.rtest:pad", version: "2.0", size });
    expect(large.content.size).toBe(size);
    expect(large.content.bytes).toBeUndefined();
    const first = await collect(large.content.stream());
    const second = await collect(large.content.stream());
    expect(first.byteLength).toBe(size);
    expect(Buffer.compare(Buffer.from(first), Buffer.from(second))).toBe(0);
    const entries = readZip(first);
    const padding = entries.find((e) => e.path === "META-INF/regkit/padding.bin");
    expect(padding?.size).toBeGreaterThan(IN_MEMORY_JAR_LIMIT);
    expect(createHash("sha256").update(first).digest("hex")).toBe(large.content.digests.sha256);
  });

  it("builds -sources and -javadoc jars", async () => {
    const spec = { name: "io.regkit.rtest:demo", version: "1.0" };
    const sources = await buildClassifierJar(spec, "sources");
    const javadoc = await buildClassifierJar(spec, "javadoc");
    expect(sources.filename).toBe("demo-1.0-sources.jar");
    expect(javadoc.filename).toBe("demo-1.0-javadoc.jar");
    expect(readZip(sources.content.bytes!).map((e) => e.path)).toContain("io/regkit/generated/Marker.java");
    expect(readZip(javadoc.content.bytes!).map((e) => e.path)).toContain("index.html");
  });

  it.skipIf(!existsSync("/usr/bin/unzip"))("makes jars unzip accepts", async () => {
    const artifact = await mavenKit.build({ name: "io.regkit.rtest:unzip", version: "3.0", size: 50_000 });
    const path = join(dir, artifact.filename);
    await writeFile(path, artifact.content.bytes!);
    const { stdout } = await run("/usr/bin/unzip", ["-t", path]);
    expect(stdout).toContain("No errors detected");
  });

  it.skipIf(!existsSync("/usr/bin/javap"))("makes a class file the JDK loads", async () => {
    const artifact = await mavenKit.build({ name: "io.regkit.rtest:javap", version: "3.0" });
    const path = join(dir, "javap.jar");
    await writeFile(path, artifact.content.bytes!);
    const { stdout } = await run("/usr/bin/javap", ["-cp", path, "io.regkit.generated.Marker"]);
    expect(stdout).toContain("public class io.regkit.generated.Marker");
  });

  it("namespaces names with the run id and owns only those", () => {
    const name = mavenKit.packageName("abc123", "demo");
    expect(name).toBe("io.regkit.rabc123:demo");
    expect(mavenKit.ownsName("abc123", name)).toBe(true);
    expect(mavenKit.ownsName("abc12", name)).toBe(false);
    expect(mavenKit.ownsName("abc123", "io.regkit.rabc1234:demo")).toBe(false);
  });
});
