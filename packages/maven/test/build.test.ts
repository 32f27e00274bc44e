// The artifacts the kit builds are real: valid jars (checked by unzip, javap
// and Maven's own pom reader when installed), poms with matching
// coordinates, exact padded sizes, the same bytes for the same spec.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { collect } from "@regkit/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IN_MEMORY_JAR_LIMIT, buildClassifierJar, buildMavenArtifact, mavenKit, readZipEntries } from "@regkit/maven";

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "regkit-maven-build-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("building Maven artifacts", () => {
  it("builds a jar with a manifest, the embedded pom and a class, and a pom with the same coordinates", async () => {
    const artifact = await buildMavenArtifact({
      name: "io.regkit.rtest:demo",
      version: "1.0-rc1",
      description: "a <demo> & more",
      files: { "res/data.txt": new Uint8Array([1, 2, 3]) },
    });
    expect(artifact.filename).toBe("demo-1.0-rc1.jar");
    expect(artifact.extra?.map((f) => f.filename)).toEqual(["demo-1.0-rc1.pom"]);
    const entries = readZipEntries(artifact.content.bytes!);
    const names = entries.map((e) => e.name);
    expect(names).toContain("META-INF/MANIFEST.MF");
    expect(names).toContain("io/regkit/generated/Marker.class");
    expect(names).toContain("META-INF/maven/io.regkit.rtest/demo/pom.xml");
    expect(Buffer.from(entries.find((e) => e.name === "res/data.txt")!.data)).toEqual(Buffer.from([1, 2, 3]));
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
    const entries = readZipEntries(first);
    const padding = entries.find((e) => e.name === "META-INF/regkit/padding.bin");
    expect(padding?.size).toBeGreaterThan(IN_MEMORY_JAR_LIMIT);
    const { createHash } = await import("node:crypto");
    expect(createHash("sha256").update(first).digest("hex")).toBe(large.content.digests.sha256);
  });

  it("builds -sources and -javadoc jars", async () => {
    const spec = { name: "io.regkit.rtest:demo", version: "1.0" };
    const sources = await buildClassifierJar(spec, "sources");
    const javadoc = await buildClassifierJar(spec, "javadoc");
    expect(sources.filename).toBe("demo-1.0-sources.jar");
    expect(javadoc.filename).toBe("demo-1.0-javadoc.jar");
    expect(readZipEntries(sources.content.bytes!).map((e) => e.name)).toContain("io/regkit/generated/Marker.java");
    expect(readZipEntries(javadoc.content.bytes!).map((e) => e.name)).toContain("index.html");
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
