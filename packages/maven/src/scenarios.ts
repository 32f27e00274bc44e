/**
 * Scenarios only Maven has: version order in `maven-metadata.xml`, SNAPSHOT
 * builds, checksum files and classifier artifacts.
 *
 * @module
 */
import * as fc from "fast-check";
import {
  type Artifact,
  type KitScenario,
  ConformanceFailure,
  type Exchange,
  type ScenarioContext,
  describeExchange,
  expectThat,
  scenarioHelpers,
} from "@regkit/core";
import { distinctVersionsArbitrary, versionArbitrary } from "./arbitraries.js";
import { type MavenClient, checksumValue } from "./client.js";
import { METADATA_FILE, artifactFileName, artifactSegments, parseCoordinates } from "./layout.js";
import { highestVersion, resolveSnapshotFile } from "./metadata.js";
import { buildClassifierJar } from "./package.js";
import { MD5_CHECKSUMS_DEVIATION, type MavenProfile, VERIFIES_CHECKSUMS, VERIFIES_SHA2_CHECKSUMS } from "./profiles.js";
import { compareMavenVersions, isSnapshotVersion } from "./version.js";

/**
 * A scenario of this kit: its context carries the Maven adapter and a Maven
 * profile, and `requires` may name only capabilities a Maven profile has.
 */
type MavenScenario = KitScenario<MavenClient, MavenProfile>;
type MavenContext = ScenarioContext<MavenClient, MavenProfile>;

function sample<T>(ctx: MavenContext, arbitrary: fc.Arbitrary<T>, salt: number): T {
  const [value] = fc.sample(arbitrary, { seed: ctx.fc.seed + salt, numRuns: 1 });
  if (value === undefined) throw new Error("fast-check gave no sample");
  return value;
}

function last(ctx: MavenContext, count = 4): readonly Exchange[] {
  return ctx.exchanges().slice(-count);
}

async function publishOrFail(ctx: MavenContext, artifact: Artifact, what: string): Promise<void> {
  const outcome = await ctx.client.publish(artifact);
  if (outcome.accepted) ctx.track(artifact.name, artifact.version);
  expectThat(
    outcome.accepted,
    `deploying ${what} was refused: ${describeExchange(outcome.exchange)}`,
    { expected: "every PUT of the deploy accepted (2xx)", actual: String(outcome.status) },
    [outcome.exchange],
  );
}

const versionOrder: MavenScenario = {
  id: "maven.version-order",
  title: "maven-metadata.xml lists every version; latest and release follow Maven's order",
  checklist: 5,
  description:
    "Deploys generated versions (numbers, qualifiers such as alpha, rc, sp, ga and unknown ones, mixed `.`/`-` separators) in random order, then reads the artifact-level maven-metadata.xml: every version must be listed once, and `<latest>` and `<release>` must be the highest version by Maven's ComparableVersion.",
  audience: "write",
  async run(ctx) {
    const { client } = ctx;
    const name = ctx.name("order");
    const count = Math.max(3, Math.min(8, ctx.options.numRuns));
    const versions = sample(ctx, distinctVersionsArbitrary({ minLength: count, maxLength: count }), 1);
    ctx.note(`deployed in this order: ${versions.join(", ")}`);
    for (const version of versions) await publishOrFail(ctx, await ctx.build({ name, version }), `${name}:${version}`);

    const { metadata, exchange } = await client.mavenMetadata(name);
    expectThat(metadata !== undefined, `${METADATA_FILE} of ${name} is missing after ${versions.length} deploys`, {
      expected: `${METADATA_FILE} listing ${versions.join(", ")}`,
      actual: `${exchange.status}`,
    }, [exchange]);
    const listed = metadata.versioning.versions;
    const missing = versions.filter((v) => !listed.includes(v));
    expectThat(missing.length === 0, `${METADATA_FILE} of ${name} does not list ${missing.join(", ")}`, {
      expected: `<versions> with ${[...versions].sort(compareMavenVersions).join(", ")}`,
      actual: `<versions> with ${listed.join(", ") || "(none)"}`,
    }, [exchange]);
    const repeated = listed.filter((v, i) => listed.indexOf(v) !== i);
    expectThat(repeated.length === 0, `${METADATA_FILE} of ${name} lists ${repeated.join(", ")} more than once`, {
      expected: "each version once",
      actual: listed.join(", "),
    }, [exchange]);

    const highest = highestVersion(versions);
    const highestRelease = highestVersion(versions.filter((v) => !isSnapshotVersion(v)));
    expectThat(
      metadata.versioning.latest !== undefined && compareMavenVersions(metadata.versioning.latest, highest ?? "") === 0,
      `<latest> of ${name} is ${metadata.versioning.latest ?? "missing"}, but the highest version by Maven's order is ${highest}`,
      { expected: `<latest>${highest}</latest>`, actual: `<latest>${metadata.versioning.latest ?? ""}</latest>` },
      [exchange],
    );
    expectThat(
      metadata.versioning.release !== undefined && compareMavenVersions(metadata.versioning.release, highestRelease ?? "") === 0,
      `<release> of ${name} is ${metadata.versioning.release ?? "missing"}, but the highest release by Maven's order is ${highestRelease}`,
      { expected: `<release>${highestRelease}</release>`, actual: `<release>${metadata.versioning.release ?? ""}</release>` },
      [exchange],
    );
    const lastUpdated = metadata.versioning.lastUpdated ?? "";
    expectThat(/^\d{14}$/.test(lastUpdated), `<lastUpdated> of ${name} is not yyyyMMddHHmmss`, {
      expected: "14 digits (UTC yyyyMMddHHmmss)",
      actual: lastUpdated || "(missing)",
    }, [exchange]);
    const viaAdapter = await client.latest(name);
    expectThat(viaAdapter === metadata.versioning.latest, `two reads of ${METADATA_FILE} disagree on <latest>`, {
      expected: metadata.versioning.latest ?? "",
      actual: viaAdapter ?? "(none)",
    }, last(ctx, 2));
  },
};

const snapshots: MavenScenario = {
  id: "maven.snapshots",
  title: "SNAPSHOT deploys get new timestamped files and resolve to the newest build",
  checklist: 1,
  description:
    "Deploys one SNAPSHOT version three times with different bytes. Each deploy must store new timestamped files (`<artifactId>-<base>-<yyyyMMdd.HHmmss>-<buildNumber>.jar`), the version-level maven-metadata.xml must point at the newest build, and resolving the SNAPSHOT must download the newest bytes. Under a reject-duplicates policy the second deploy must be refused instead and the first build stay.",
  audience: "write",
  async run(ctx) {
    const { client } = ctx;
    const name = ctx.name("snapshot");
    const version = `${sample(ctx, versionArbitrary(), 2)}-SNAPSHOT`;
    const { artifactId } = parseCoordinates(name);
    const dir = [...artifactSegments(parseCoordinates(name)), version];
    const seen: { value: string; artifact: Artifact }[] = [];
    let previousBuild = 0;
    for (let build = 1; build <= 3; build++) {
      const artifact = await ctx.build({ name, version, description: `build ${build} of ${name}` });
      const outcome = await client.publish(artifact);
      if (build > 1 && ctx.target.policies.duplicates === "reject") {
        const statuses = ctx.target.policies.duplicateStatus;
        const refused = !outcome.accepted && isDuplicateRefusal(ctx, outcome.status);
        expectThat(refused, `a second deploy of ${name}:${version} was not refused although duplicates are rejected`, {
          expected: statuses.length ? `refused with ${statuses.join(" or ")}` : "refused with a 4xx",
          actual: outcome.accepted ? `accepted (${outcome.status})` : String(outcome.status),
        }, [outcome.exchange]);
        const again = await client.download(name, version);
        const first = seen[0]!.artifact.content;
        expectThat(again.digests.sha256 === first.digests.sha256, `${name}:${version} changed after a refused deploy`, {
          expected: `sha256 ${first.digests.sha256} (build 1)`,
          actual: `sha256 ${again.digests.sha256}`,
        }, [again.exchange]);
        ctx.note("duplicates are rejected: the SNAPSHOT was deployed once, the second deploy refused");
        return;
      }
      expectThat(outcome.accepted, `deploy ${build} of ${name}:${version} was refused: ${describeExchange(outcome.exchange)}`, {
        expected: "every PUT of the deploy accepted (2xx)",
        actual: String(outcome.status),
      }, [outcome.exchange]);
      ctx.track(name, version);

      const { metadata, exchange } = await client.snapshotMetadata(name, version);
      expectThat(metadata !== undefined, `the version-level ${METADATA_FILE} of ${name}:${version} is missing`, {
        expected: `200 with <snapshot> for build ${build}`,
        actual: String(exchange.status),
      }, [exchange]);
      const buildNumber = metadata.versioning.snapshot?.buildNumber ?? 0;
      const timestamp = metadata.versioning.snapshot?.timestamp ?? "";
      expectThat(buildNumber > previousBuild, `<buildNumber> of ${name}:${version} did not increase after deploy ${build}`, {
        expected: `more than ${previousBuild}`,
        actual: String(buildNumber),
      }, [exchange]);
      expectThat(/^\d{8}\.\d{6}$/.test(timestamp), `<timestamp> of ${name}:${version} is not yyyyMMdd.HHmmss`, {
        expected: "yyyyMMdd.HHmmss (UTC)",
        actual: timestamp || "(missing)",
      }, [exchange]);
      const value = resolveSnapshotFile(metadata, { extension: "jar" }, version);
      const expectedValue = `${version.slice(0, -"-SNAPSHOT".length)}-${timestamp}-${buildNumber}`;
      expectThat(value === expectedValue, `the jar of ${name}:${version} in <snapshotVersions> is not the newest build`, {
        expected: `<value>${expectedValue}</value>`,
        actual: `<value>${value ?? ""}</value>`,
      }, [exchange]);
      expectThat(!seen.some((s) => s.value === value), `deploy ${build} of ${name}:${version} reused a timestamped file name`, {
        expected: "a new file name per build",
        actual: `${artifactFileName(artifactId, value, { classifier: undefined, extension: "jar" })} again`,
      }, [exchange]);
      previousBuild = buildNumber;
      seen.push({ value, artifact });

      const downloaded = await client.download(name, version);
      expectThat(downloaded.digests.sha256 === artifact.content.digests.sha256, `${name}:${version} did not resolve to build ${build}`, {
        expected: `sha256 ${artifact.content.digests.sha256} (build ${build})`,
        actual: `sha256 ${downloaded.digests.sha256}`,
      }, [downloaded.exchange]);
    }

    // Older builds stay addressable by their timestamped names (a repository may purge them later).
    for (const { value, artifact } of seen.slice(0, -1)) {
      const filename = artifactFileName(artifactId, value, { classifier: undefined, extension: "jar" });
      const res = await client.request("GET", [...dir, filename]);
      if (res.status === 404) {
        await res.dump();
        ctx.note(`${filename} is gone (404): the repository keeps only the newest SNAPSHOT build`);
        continue;
      }
      const { digests } = await res.digest();
      expectThat(digests.sha256 === artifact.content.digests.sha256, `${filename} no longer holds the build it was deployed with`, {
        expected: `sha256 ${artifact.content.digests.sha256}`,
        actual: `sha256 ${digests.sha256} (${describeExchange(res.exchange)})`,
      }, [res.exchange]);
    }

    const { metadata, exchange } = await client.mavenMetadata(name);
    const listed = metadata?.versioning.versions ?? [];
    expectThat(listed.filter((v) => v === version).length === 1, `${METADATA_FILE} of ${name} must list ${version} once`, {
      expected: `<version>${version}</version> once`,
      actual: listed.join(", ") || "(none)",
    }, [exchange]);
    expectThat(metadata?.versioning.release === undefined || !isSnapshotVersion(metadata.versioning.release), `<release> of ${name} is a SNAPSHOT`, {
      expected: "no SNAPSHOT in <release>",
      actual: metadata?.versioning.release ?? "",
    }, [exchange]);
  },
};

/** Whether `status` is the refusal of a duplicate the target documents (any 4xx when it names none). */
function isDuplicateRefusal(ctx: MavenContext, status: number): boolean {
  const statuses = ctx.target.policies.duplicateStatus;
  return statuses.length === 0 ? status >= 400 && status < 500 : statuses.includes(status);
}

/** Downloads `name:version` and reports whether the client flagged a checksum mismatch. */
async function downloadFlags(ctx: MavenContext, name: string, version: string): Promise<boolean> {
  try {
    await ctx.client.download(name, version);
    return false;
  } catch (error) {
    if (!(error instanceof ConformanceFailure)) throw error;
    return true;
  }
}

const checksums: MavenScenario = {
  id: "maven.checksums",
  title: "Checksum files match their files; a wrong checksum is refused or served as uploaded",
  checklist: 4,
  description:
    "Deploys a jar and its pom with .sha1, .md5, .sha256 and .sha512 files, then checks every checksum the registry serves (jar, pom, maven-metadata.xml) against the bytes it serves, and that the jar's .md5 is served (GitLab in FIPS mode: recorded deviation maven.md5-checksums). Then uploads a wrong .sha1: a registry that verifies checksums (capability verifiesChecksums, GitLab: 409) must refuse it and keep serving the right one; a plain repository stores what it is given, so the wrong value must be what it serves, and downloading must flag it. Then a wrong .sha256: refused where the registry verifies SHA-2 checksums (capability verifiesSha2Checksums); elsewhere accepted and served as uploaded (flagged on download) or ignored, or, where duplicates are rejected, refused as a second upload of a stored file (GitLab: .sha256 is an ordinary file).",
  audience: "write",
  async run(ctx) {
    const { client } = ctx;
    const name = ctx.name("checksums");
    const version = sample(ctx, versionArbitrary(), 3);
    const artifact = await ctx.build({ name, version, files: { "data/one.txt": Buffer.from(`checksums ${ctx.runId}\n`) } });
    await publishOrFail(ctx, artifact, `${name}:${version}`);
    const dir = [...artifactSegments(parseCoordinates(name)), version];
    const files: { segments: string[]; expected?: string }[] = [
      { segments: [...dir, artifact.filename], expected: artifact.content.digests.sha256 },
      ...(artifact.extra ?? []).map((f) => ({ segments: [...dir, f.filename], expected: f.content.digests.sha256 })),
      { segments: [...artifactSegments(parseCoordinates(name)), METADATA_FILE] },
    ];
    for (const file of files) {
      const downloaded = await client.downloadPath(file.segments);
      if (file.expected !== undefined) {
        expectThat(downloaded.digests.sha256 === file.expected, `${file.segments.at(-1)} is not the file that was deployed`, {
          expected: `sha256 ${file.expected}`,
          actual: `sha256 ${downloaded.digests.sha256}`,
        }, [downloaded.exchange]);
      }
    }
    ctx.note(`checked the checksum files of ${files.map((f) => f.segments.at(-1)).join(", ")}`);

    const jar = [...dir, artifact.filename];
    const sumOf = (algorithm: string): string[] => [...dir, `${artifact.filename}.${algorithm}`];
    await ctx.deviates(MD5_CHECKSUMS_DEVIATION, async () => {
      const md5 = await client.request("GET", sumOf("md5"));
      const text = md5.status === 200 ? checksumValue(await md5.text()) : (await md5.dump(), "");
      expectThat(md5.status === 200 && text === artifact.content.digests.md5, `${artifact.filename}.md5 is not served`, {
        expected: `200 with md5 ${artifact.content.digests.md5}`,
        actual: md5.status === 200 ? `md5 ${text || "(empty)"}` : describeExchange(md5.exchange),
      }, [md5.exchange]);
    });

    const wrong = "0".repeat(40) === artifact.content.digests.sha1 ? "1".repeat(40) : "0".repeat(40);
    const put = await client.request("PUT", sumOf("sha1"), wrong);
    await put.dump();
    if (ctx.target.capabilities[VERIFIES_CHECKSUMS]) {
      expectThat(put.status >= 400 && put.status < 500, `a wrong ${artifact.filename}.sha1 was accepted`, {
        expected: "refused (GitLab: 409 Conflict)",
        actual: `${describeExchange(put.exchange)}`,
      }, [put.exchange]);
      ctx.note(`a wrong .sha1 was refused with ${put.status}`);
      // Still served right: the refused upload changed nothing.
      await client.downloadPath(jar);
    } else {
      expectThat(put.status >= 200 && put.status < 300, `a plain repository refused a .sha1 upload`, {
        expected: "2xx (a plain repository stores what it is given)",
        actual: describeExchange(put.exchange),
      }, [put.exchange]);
      const served = await client.request("GET", sumOf("sha1"));
      const text = (await served.text()).trim();
      expectThat(text === wrong, `${artifact.filename}.sha1 is not served as uploaded`, {
        expected: wrong,
        actual: `${text} (${describeExchange(served.exchange)})`,
      }, [served.exchange]);
      expectThat(await downloadFlags(ctx, name, version), `downloading ${name}:${version} did not flag the wrong .sha1`, {
        expected: "a checksum mismatch",
        actual: "download passed",
      }, last(ctx));
      ctx.note("the repository stores checksum files as given; a wrong one is caught on download");
      // Put the right checksum back so the artifact is consistent again.
      const fix = await client.request("PUT", sumOf("sha1"), artifact.content.digests.sha1);
      await fix.dump();
      await client.download(name, version);
    }

    await wrongSha256(ctx, { name, version, filename: artifact.filename, right: artifact.content.digests.sha256, path: sumOf("sha256") });
  },
};

/**
 * Uploads a wrong `.sha256` for a deployed jar: what a registry may do with it
 * depends on whether it verifies SHA-2 checksums (Maven leaves that to the
 * client) and, where it stores them as files, on its duplicate policy.
 */
async function wrongSha256(
  ctx: MavenContext,
  file: { readonly name: string; readonly version: string; readonly filename: string; readonly right: string; readonly path: string[] },
): Promise<void> {
  const { client } = ctx;
  const wrong = "0".repeat(64) === file.right ? "1".repeat(64) : "0".repeat(64);
  const put = await client.request("PUT", file.path, wrong);
  await put.dump();
  const refused = put.status >= 400 && put.status < 500;
  const verifies = ctx.target.capabilities[VERIFIES_SHA2_CHECKSUMS];
  const rejectsDuplicates = ctx.target.policies.duplicates === "reject";
  expectThat(refused || (put.status >= 200 && put.status < 300), `uploading ${file.filename}.sha256 failed`, {
    expected: "accepted (2xx) or refused (4xx)",
    actual: describeExchange(put.exchange),
  }, [put.exchange]);
  if (verifies) {
    expectThat(refused, `a wrong ${file.filename}.sha256 was accepted although the registry verifies SHA-2 checksums`, {
      expected: "refused with a 4xx",
      actual: describeExchange(put.exchange),
    }, [put.exchange]);
  } else if (rejectsDuplicates) {
    expectThat(!refused || isDuplicateRefusal(ctx, put.status), `a second ${file.filename}.sha256 was refused, but not as a duplicate`, {
      expected: `accepted, or refused as a duplicate (${ctx.target.policies.duplicateStatus.join(" or ") || "a 4xx"})`,
      actual: describeExchange(put.exchange),
    }, [put.exchange]);
  } else {
    expectThat(!refused, `a wrong ${file.filename}.sha256 was refused by a registry that does not verify SHA-2 checksums`, {
      expected: "2xx (stored as given, or ignored); set verifiesSha2Checksums if the registry checks .sha256 uploads",
      actual: describeExchange(put.exchange),
    }, [put.exchange]);
  }

  const served = await client.request("GET", file.path);
  const text = served.status === 200 ? checksumValue(await served.text()) : (await served.dump(), "");
  if (refused) {
    expectThat(text === file.right, `${file.filename}.sha256 changed after a refused upload`, {
      expected: `200 with sha256 ${file.right}`,
      actual: served.status === 200 ? `sha256 ${text || "(empty)"}` : describeExchange(served.exchange),
    }, [served.exchange]);
    ctx.note(`a wrong .sha256 was refused with ${put.status}`);
    return;
  }
  expectThat(text === wrong || text === file.right, `${file.filename}.sha256 is neither what was uploaded nor the file's digest`, {
    expected: `200 with ${wrong} (stored as given) or ${file.right} (computed)`,
    actual: served.status === 200 ? text || "(empty)" : describeExchange(served.exchange),
  }, [served.exchange]);
  if (text === file.right) {
    ctx.note("a wrong .sha256 upload was accepted and ignored: the registry serves the file's own digest");
    return;
  }
  expectThat(await downloadFlags(ctx, file.name, file.version), `downloading ${file.name}:${file.version} did not flag the wrong .sha256`, {
    expected: "a checksum mismatch",
    actual: "download passed",
  }, last(ctx));
  ctx.note("a wrong .sha256 is stored as given (no registry-side check) and caught on download");
  const fix = await client.request("PUT", file.path, file.right);
  await fix.dump();
  if (fix.status >= 200 && fix.status < 300) await client.download(file.name, file.version);
  else ctx.note(`putting the right .sha256 back was refused (${fix.status}): the artifact keeps the wrong one`);
}

const classifiers: MavenScenario = {
  id: "maven.classifiers",
  title: "-sources and -javadoc jars deploy and download byte for byte",
  checklist: 4,
  description:
    "Deploys a jar with its pom, -sources and -javadoc jars (once as a release, once as a SNAPSHOT), then downloads each file and compares its bytes, with its .sha1 and .md5 (unless deviation maven.md5-checksums is recorded) served and matching; SNAPSHOT classifiers are resolved through the version-level maven-metadata.xml.",
  audience: "write",
  async run(ctx) {
    const { client } = ctx;
    const name = ctx.name("classifiers");
    const release = sample(ctx, versionArbitrary(), 4);
    for (const version of [release, `${release}-SNAPSHOT`]) {
      const spec = { name, version };
      const artifact = await ctx.build(spec);
      const extras = await Promise.all(["sources", "javadoc"].map((c) => buildClassifierJar(spec, c)));
      const all: Artifact = { ...artifact, extra: [...(artifact.extra ?? []), ...extras] };
      await publishOrFail(ctx, all, `${name}:${version} with sources and javadoc`);
      // Each file by the name it was built with (a SNAPSHOT's resolved through the version-level metadata), checksums checked.
      for (const file of scenarioHelpers.filesOf(all)) {
        const downloaded = await client.downloadFile(name, version, file.filename);
        const { content } = file;
        expectThat(downloaded.digests.sha256 === content.digests.sha256 && downloaded.size === content.size, `${file.filename} is not the file that was deployed`, {
          expected: `${content.size} bytes, sha256 ${content.digests.sha256}`,
          actual: `${downloaded.size} bytes, sha256 ${downloaded.digests.sha256}`,
        }, [downloaded.exchange]);
      }
    }
  },
};

/** The Maven kit's own scenarios. */
export const mavenScenarios: readonly MavenScenario[] = [versionOrder, snapshots, checksums, classifiers];
