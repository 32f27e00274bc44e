// The npm kit catches registries that get npm wrong: each fault is injected by
// a proxy in front of the reference registry, and the test names the scenario
// that must fail (or error) and what its report must say.
import { describe, expect, test } from "vitest";
import { npmKit, type Packument } from "@regkit/npm";
import { npmReference } from "@regkit/npm/reference";
import {
  acceptDuplicates,
  corruptBody,
  delayResponses,
  ignoreCredentials,
  mapJson,
  resultOf,
  truncateBody,
  useFaultHarness,
  type Fault,
} from "@regkit/testkit";

const harness = useFaultHarness(npmKit, npmReference);

const isTarball = (e: { method: string; path: string }): boolean => e.method === "GET" && e.path.endsWith(".tgz");
const isPackument = (e: { method: string; path: string }): boolean => e.method === "GET" && !e.path.includes("/-/") && !e.path.endsWith(".tgz");

describe("npm faults are caught by the right scenario", () => {
  test("corrupted tarball bytes: pull.package fails, dist.shasum names the mismatch (GitLab serves no dist.integrity)", async () => {
    const r = resultOf(await harness().run(corruptBody({ when: isTarball }), { scenarios: ["pull.package"] }), "pull.package");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/dist\.shasum of regkit-\w+-pull0-pat@1\.0\.0 does not match the tarball bytes/);
    expect(r.exchanges.some((e) => e.path.endsWith(".tgz") && e.status === 200)).toBe(true);
    expect(r.replay?.seed).toBe(4242);
  });

  test("truncated tarball: pull.package reports the truncation", async () => {
    const r = resultOf(await harness().run(truncateBody({ when: isTarball }), { scenarios: ["pull.package"] }), "pull.package");
    expect(["fail", "error"]).toContain(r.status);
    expect(r.message).toMatch(/truncated|broke off/);
  });

  test("wrong dist.integrity in the packument: npm.integrity fails", async () => {
    const wrong = `sha512-${Buffer.alloc(64, 7).toString("base64")}`;
    const fault = mapJson({
      when: isPackument,
      map: (doc) => {
        for (const v of Object.values((doc as Packument).versions ?? {})) (v.dist as { integrity?: string }).integrity = wrong;
        return doc;
      },
    });
    const r = resultOf(await harness().run(fault, { scenarios: ["npm.integrity"] }), "npm.integrity");
    expect(r.status).toBe("fail");
    expect(r.expectation?.actual).toBe(wrong);
  });

  test("a version missing from the packument: metadata.versions fails", async () => {
    const fault = mapJson({
      when: isPackument,
      map: (doc) => {
        const versions = (doc as Packument).versions ?? {};
        const first = Object.keys(versions)[0];
        if (first && Object.keys(versions).length > 1) delete versions[first];
        return doc;
      },
    });
    const r = resultOf(await harness().run(fault, { scenarios: ["metadata.versions"], options: { numRuns: 8 } }), "metadata.versions");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/differ from the versions published/);
  });

  // Issue 16: a version is its tarball, listed once under its own file name
  // with the hash it was uploaded with, and served.
  const LISTING = "listing the files of every version: ";
  /** `<file> of <name>@<version> <what>` in a failure message: the file it names. */
  function namedFile(message: string | undefined, what: string): { file: string; name: string; version: string } {
    const m = new RegExp(`(regkit-\\w+-versions\\d+-pat-\\S+\\.tgz) of (regkit-\\w+-versions\\d+-pat)@(\\S+) ${what}`).exec(message ?? "");
    expect(m, message).not.toBeNull();
    const [, file, name, version] = m!;
    expect(file).toBe(`${name}-${version}.tgz`);
    return { file: file!, name: name!, version: version! };
  }
  const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const lieAboutShasum = mapJson({
    when: isPackument,
    map: (doc) => {
      const dists = Object.values((doc as Packument).versions ?? {}).map((v) => v.dist as { shasum: string });
      if (dists.length > 1) dists[0]!.shasum = dists[1]!.shasum;
      return doc;
    },
  });

  test("a version's dist.tarball points at another version's file: metadata.versions fails, naming the file no longer listed", async () => {
    const fault = mapJson({
      when: isPackument,
      map: (doc) => {
        const dists = Object.values((doc as Packument).versions ?? {}).map((v) => v.dist as { tarball: string });
        if (dists.length > 1) dists[0]!.tarball = dists[1]!.tarball;
        return doc;
      },
    });
    const r = resultOf(await harness().run(fault, { scenarios: ["metadata.versions"], options: { numRuns: 8 } }), "metadata.versions");
    expect(r.status).toBe("fail");
    expect(r.message?.startsWith(LISTING), r.message).toBe(true);
    const { file, name, version } = namedFile(r.message, "is not listed");
    expect(r.expectation?.expected).toBe(`${file} listed once among the files of ${name}@${version}`);
    // For that version the listing names another version's file.
    expect(r.expectation?.actual).toMatch(new RegExp(`^files listed for ${escape(version)}: \\[${escape(name)}-\\S+\\.tgz\\]$`));
    expect(r.expectation?.actual).not.toContain(file);
  });

  test("a version's dist.shasum is another file's: metadata.versions fails, naming the file and both hashes", async () => {
    const r = resultOf(await harness().run(lieAboutShasum, { scenarios: ["metadata.versions"], options: { numRuns: 8 } }), "metadata.versions");
    expect(r.status).toBe("fail");
    expect(r.message?.startsWith(LISTING), r.message).toBe(true);
    namedFile(r.message, "is listed with another sha1 than it was uploaded with");
    expect(r.expectation?.expected).toMatch(/^\S+\.tgz listed with sha1 [0-9a-f]{40}$/);
    expect(r.expectation?.actual).toMatch(/^\S+\.tgz listed with sha1 [0-9a-f]{40}$/);
    expect(r.expectation?.actual).not.toBe(r.expectation?.expected);
  });

  test("the same dist.shasum lie in the model: model.random-ops fails on it (listing or pulling)", async () => {
    const r = resultOf(await harness().run(lieAboutShasum, { scenarios: ["model.random-ops"], options: { numRuns: 8, maxCommands: 12 } }), "model.random-ops");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/\.tgz of regkit-\S+ is listed with another sha1 than it was uploaded with|dist\.shasum of regkit-\S+ does not match the tarball bytes/);
  });

  test("a listed tarball answers 404: metadata.versions fails, naming the file that is not served", async () => {
    const fault: Fault = (e) =>
      isTarball(e) && e.path.includes("-versions")
        ? { request: { answer: { status: 404, headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "404 Not found" }) } } }
        : undefined;
    const r = resultOf(await harness().run(fault, { scenarios: ["metadata.versions"] }), "metadata.versions");
    expect(r.status).toBe("fail");
    const { file } = namedFile(r.message, "is listed but not served \\(GET \\S+\\.tgz -> 404\\)");
    expect(r.expectation).toEqual({ expected: `${file} served with status 200`, actual: "status 404" });
    expect(r.exchanges.some((e) => e.path.endsWith(".tgz") && e.status === 404)).toBe(true);
  });

  test("no false alarm: the same scenarios pass through a faithful proxy", async () => {
    const scenarios = ["metadata.versions", "model.random-ops", "pull.duplicate"];
    const report = await harness().run(() => undefined, { scenarios, options: { numRuns: 8, maxCommands: 12 } });
    for (const scenario of scenarios) expect(resultOf(report, scenario).status, `${scenario}: ${resultOf(report, scenario).message}`).toBe("pass");
  });

  test("credentials ignored: auth.matrix fails for anonymous, invalid and read-only tokens", async () => {
    const fault = ignoreCredentials({ as: { authorization: `Bearer ${harness().registry.tokens.personal}` } });
    const report = await harness().run(fault, { scenarios: ["auth.matrix"], tokenKinds: ["anonymous", "invalid", "readonly"] });
    for (const kind of ["anonymous", "invalid", "readonly"] as const) {
      const r = resultOf(report, "auth.matrix", kind);
      expect(r.status, kind).toBe("fail");
      expect(r.expectation?.expected).toMatch(/refused with status 401 or 403 or 404/);
    }
  });

  test("duplicates accepted under a reject policy: push.duplicate fails", async () => {
    const r = resultOf(await harness().run(acceptDuplicates(), { scenarios: ["push.duplicate"] }), "push.duplicate");
    expect(r.status).toBe("fail");
    expect(r.expectation).toEqual({ expected: "refused with status 403", actual: "status 201" });
  });

  test("metadata that slows down as packages accumulate: push.many fails", async () => {
    const r = resultOf(await harness().run(delayResponses({ when: isPackument, stepMs: 5 }), { scenarios: ["push.many"], options: { latencyGrowthFloorMs: 40 } }), "push.many");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/grows with the package count/);
    expect(r.latency[0]!.points.length).toBe(30);
  });

  test("HTML where JSON was due and a 5xx are clear errors; the other scenarios still run", async () => {
    const fault: Fault = (e) => {
      if (isPackument(e) && e.path.includes("-small-")) {
        return { response: () => ({ status: 200, headers: { "content-type": "text/html; charset=utf-8" }, body: "<!DOCTYPE html><html><title>Sign in · GitLab</title></html>" }) };
      }
      if (e.method === "PUT" && e.path.includes("-dup-")) return { response: () => ({ status: 502, headers: { "content-type": "text/html" }, body: "<html>502 Bad Gateway</html>" }) };
      return undefined;
    };
    const report = await harness().run(fault, { scenarios: ["push.small", "push.duplicate", "pull.duplicate"] });
    const small = resultOf(report, "push.small");
    expect(small.status).toBe("error");
    expect(small.message).toMatch(/expected JSON from GET \/regkit-\w+-small-pat -> 200, got text\/html; charset=utf-8: <!DOCTYPE html><html><title>Sign in · GitLab/);
    const dup = resultOf(report, "push.duplicate");
    expect(dup.status).toBe("error");
    expect(dup.message).toMatch(/server error \(PUT \/regkit-\w+-dup-pat -> 502\)/);
    expect(resultOf(report, "pull.duplicate").status).toBe("pass");
  });
});
