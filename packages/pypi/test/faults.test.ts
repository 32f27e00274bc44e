// The PyPI kit catches registries that get PyPI wrong: faults injected by a
// proxy in front of the reference registry, each failing the right scenario.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runConformance, type FormatKit, type RunReport, type ScenarioOptions, type TokenKind } from "@regkit/core";
import { NAME_SPELLINGS_DEVIATION, connectPypi, gitlab, normalizeName, parseDistFilename, pypiGitLabFacts, pypiKit, pypiReference } from "@regkit/pypi";
import { createReferenceRegistry, type ReferenceRegistry } from "@regkit/registry";
import { acceptDuplicates, startFaultyProxy, type Fault } from "@regkit/registry/faults";

const FLAG = pypiGitLabFacts.pep691Flag.value.flag;

let registry: ReferenceRegistry;
beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [pypiReference] });
});
afterAll(async () => {
  await registry.close();
});

const isPage = (e: { method: string; path: string }): boolean => e.method === "GET" && /\/simple\/[^/]+\/?$/.test(e.path);

/** Rewrites successful project pages (HTML or JSON) as text. */
function rewritePages(map: (body: string, path: string) => string, when: (e: { method: string; path: string }) => boolean = isPage): Fault {
  return (e) => (when(e) ? { response: (res) => (res.status === 200 ? { body: map(res.body.toString("utf8"), e.path) } : undefined) } : undefined);
}

/**
 * Runs `scenarios` through a faulty proxy with the gitlab profile. `pep691`:
 * the registry's pypi_pep_691_json flag and the profile's pep691Json setting
 * (GitLab's default: off, HTML only).
 */
async function runWith(
  fault: Fault,
  scenarios: string[],
  { tokenKinds = ["personal"], pep691 = false, kit = pypiKit, options = {} }: { tokenKinds?: TokenKind[]; pep691?: boolean; kit?: FormatKit; options?: Partial<ScenarioOptions> } = {},
): Promise<RunReport> {
  const proxy = await startFaultyProxy({ upstream: registry.url, fault });
  registry.setFeature(FLAG, pep691);
  try {
    return await runConformance({
      kit,
      target: {
        registry: registry.registries.pypi!.replace(registry.url, proxy.url),
        profile: "gitlab",
        credentials: { personal: registry.tokens.personal },
        options: { numRuns: 3, ...options },
        settings: { pep691Json: pep691 },
      },
      scenarios,
      tokenKinds,
      seed: 11,
    });
  } finally {
    registry.setFeature(FLAG, false);
    await proxy.close();
  }
}

const only = (report: RunReport, scenario: string) => {
  const r = report.results.find((x) => x.scenario === scenario);
  expect(r, scenario).toBeDefined();
  return r!;
};

describe("PyPI faults are caught by the right scenario", () => {
  test.each([false, true])("a wrong sha256 fragment (PEP 691 JSON %s): pull.package and pypi.hashes fail", async (pep691) => {
    const fault = rewritePages((body) => body.replace(/sha256=[0-9a-f]{64}/g, `sha256=${"0".repeat(64)}`).replace(/"sha256":\s*"[0-9a-f]{64}"/g, `"sha256":"${"0".repeat(64)}"`));
    const report = await runWith(fault, ["pull.package", "pypi.hashes"], { pep691 });
    expect(only(report, "pull.package")).toMatchObject({ status: "fail" });
    expect(only(report, "pull.package").message).toMatch(/sha256 the index gives .* does not match the downloaded bytes/);
    expect(only(report, "pypi.hashes").status).toBe("fail");
  });

  test("a wrong hashes.sha256 in PEP 691 JSON only: pypi.hashes fails", async () => {
    const fault = rewritePages((body) => body.replace(/"sha256":\s*"[0-9a-f]{64}"/g, `"sha256":"${"0".repeat(64)}"`));
    const r = only(await runWith(fault, ["pypi.hashes"], { pep691: true }), "pypi.hashes");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/application\/vnd\.pypi\.simple\.v1\+json\) is not the uploaded bytes/);
  });

  test("a file listed under the wrong normalized name: push.small fails", async () => {
    const fault = rewritePages((body) => body.replace(/>regkit_/g, ">other_").replace(/"filename":\s*"regkit_/g, '"filename":"other_'));
    const r = only(await runWith(fault, ["push.small"]), "push.small");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/missing from the versions the registry lists/);
  });

  test("the normalized name in capitals does not resolve: pypi.normalization fails, deviation recorded or not", async () => {
    const fault: Fault = (e) => (isPage(e) && /[A-Z_.]/.test(e.path.split("/simple/")[1] ?? "") ? { request: { answer: { status: 404, headers: { "content-type": "application/json" }, body: '{"message":"404 Not Found"}' } } } : undefined);
    const r = only(await runWith(fault, ["pypi.normalization"]), "pypi.normalization");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/does not reach its project page/);
  });

  test("foo_bar and foo.bar that do not resolve fail pypi.normalization where the profile records no deviation", async () => {
    // The reference answers 404 to them, as GitLab does; a profile without the record fails.
    const strict: FormatKit = { ...pypiKit, profiles: { ...pypiKit.profiles, gitlab: { ...gitlab, deviations: {} } } };
    const r = only(await runWith(() => undefined, ["pypi.normalization"], { kit: strict }), "pypi.normalization");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/the spelling \S*[._]\S* of .* does not reach its project page/);
    expect(r.deviations).toBeUndefined();
  });

  test("a recorded deviation that occurs: GitLab's 404 for foo_bar gives pypi.normalization the status deviation", async () => {
    const r = only(await runWith(() => undefined, ["pypi.normalization"]), "pypi.normalization");
    expect(r.status).toBe("deviation");
    expect(r.deviations).toEqual([expect.objectContaining({ id: NAME_SPELLINGS_DEVIATION, observed: true, source: gitlab.deviations![NAME_SPELLINGS_DEVIATION]!.source })]);
    expect(r.message).toMatch(new RegExp(`known deviation ${NAME_SPELLINGS_DEVIATION}`));
  });

  test("a recorded deviation that has gone: a registry that redirects foo_bar passes, the record reported as no longer happening", async () => {
    const fault: Fault = (e) => {
      const [base, spelling] = e.path.split("/simple/");
      const name = spelling?.replace(/\/$/, "") ?? "";
      return isPage(e) && /[._]/.test(name) ? { request: { answer: { status: 301, headers: { location: `${base}/simple/${normalizeName(decodeURIComponent(name))}/` } } } } : undefined;
    };
    const r = only(await runWith(fault, ["pypi.normalization"]), "pypi.normalization");
    expect(r.status).toBe("pass");
    expect(r.deviations).toEqual([expect.objectContaining({ id: NAME_SPELLINGS_DEVIATION, observed: false })]);
    expect(r.notes.join("\n")).toMatch(/no longer happens/);
  });

  test("JSON served with the HTML content type: pypi.content-negotiation fails", async () => {
    const fault: Fault = (e) =>
      isPage(e) && (e.headers.accept ?? "").includes("html") && !(e.headers.accept ?? "").includes("json")
        ? { request: { headers: { accept: "application/vnd.pypi.simple.v1+json" } }, response: (res) => ({ headers: { ...res.headers, "content-type": "text/html" } }) }
        : undefined;
    const r = only(await runWith(fault, ["pypi.content-negotiation"], { pep691: true }), "pypi.content-negotiation");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/JSON served as text\/html/);
  });

  test("PEP 691 expected but HTML served: pypi.content-negotiation fails", async () => {
    // The flag stays off in the registry while the profile is told it is on.
    const fault: Fault = (e) => (isPage(e) ? { request: { headers: { accept: "text/html" } } } : undefined);
    const r = only(await runWith(fault, ["pypi.content-negotiation"], { pep691: true }), "pypi.content-negotiation");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/asking for PEP 691 JSON did not give it/);
  });

  test("an HTML-only index that refuses a JSON request: pypi.content-negotiation fails", async () => {
    const fault: Fault = (e) => (isPage(e) && (e.headers.accept ?? "").includes("json") ? { request: { answer: { status: 404, body: '{"message":"404 Not Found"}' } } } : undefined);
    const r = only(await runWith(fault, ["pypi.content-negotiation"]), "pypi.content-negotiation");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/HTML-only index did not answer HTML to a PEP 691 JSON request/);
  });

  test("duplicates accepted under a reject policy: push.duplicate fails", async () => {
    const r = only(await runWith(acceptDuplicates(), ["push.duplicate"]), "push.duplicate");
    expect(r.status).toBe("fail");
    expect(r.expectation).toEqual({ expected: "refused with status 400", actual: "status 201" });
  });

  test("a version missing from the index: metadata.versions fails", async () => {
    // Drops every file of the first version listed, once a project has two versions.
    const fault = rewritePages((body) => {
      if (body.trimStart().startsWith("{")) {
        const doc = JSON.parse(body) as { files: { filename: string }[] };
        const versions = [...new Set(doc.files.map((f) => parseDistFilename(f.filename)?.version))];
        if (versions.length > 1) doc.files = doc.files.filter((f) => parseDistFilename(f.filename)?.version !== versions[0]);
        return JSON.stringify(doc);
      }
      return body;
    });
    const proxy = await startFaultyProxy({ upstream: registry.url, fault });
    registry.setFeature(FLAG, true);
    try {
      const report = await runConformance({
        kit: pypiKit,
        target: { registry: registry.registries.pypi!.replace(registry.url, proxy.url), credentials: { personal: registry.tokens.personal }, options: { numRuns: 10 }, settings: { pep691Json: true } },
        scenarios: ["metadata.versions"],
        tokenKinds: ["personal"],
        seed: 11,
      });
      const r = only(report, "metadata.versions");
      expect(r.status).toBe("fail");
      expect(r.message).toMatch(/differ from the versions published/);
    } finally {
      registry.setFeature(FLAG, false);
      await proxy.close();
    }
  });
});

/** Anchors of an HTML project page, files of a PEP 691 one. */
const ANCHOR = /<a\b[^>]*>[\s\S]*?<\/a\s*>/gi;

/**
 * Drops one file (the first sdist) from every project page that lists at
 * least `threshold` files, HTML or JSON: the version stays listed through its
 * wheel, so comparing version numbers cannot see it.
 */
function dropOneFile(threshold: number): Fault {
  return rewritePages((body) => {
    if (body.trimStart().startsWith("{")) {
      const doc = JSON.parse(body) as { files: { filename: string }[] };
      const at = doc.files.findIndex((f) => f.filename.endsWith(".tar.gz"));
      if (doc.files.length >= threshold && at >= 0) doc.files.splice(at, 1);
      return JSON.stringify(doc);
    }
    const anchors = body.match(ANCHOR) ?? [];
    const sdist = anchors.find((a) => /\.tar\.gz<\/a/i.test(a));
    return anchors.length >= threshold && sdist ? body.replace(sdist, "") : body;
  });
}

/** Every sdist download answers 404, while the index goes on listing it. */
const sdistGone: Fault = (e) =>
  e.method === "GET" && /\/files\/[0-9a-f]{64}\/[^/]+\.tar\.gz$/.test(e.path) ? { request: { answer: { status: 404, headers: { "content-type": "application/json" }, body: '{"message":"404 Not Found"}' } } } : undefined;

/** The scenarios that compare the listing with every file published (issue 16). */
const LISTING = ["metadata.versions", "push.many", "model.random-ops", "pull.duplicate"];
/**
 * Small enough for CI, with pages of three files and more everywhere but
 * pull.duplicate; ten runs so that model.random-ops reaches sequences of two
 * versions or more (fast-check starts with short ones).
 */
const SMALL: Partial<ScenarioOptions> = { numRuns: 10, manyVersions: 8, manyPackages: 2, maxCommands: 12 };

/** `scenario: status` per result, in LISTING's order (push.many runs alone, first). */
const statuses = (report: RunReport, detail = false): string[] =>
  LISTING.map((s) => only(report, s)).map((r) => `${r.scenario}: ${r.status}${detail && r.status !== "pass" ? ` ${r.message}` : ""}`);

/** The kit as it was before issue 16: no file listing, no per-file download. */
const versionsOnly: FormatKit = {
  ...pypiKit,
  connect: (session) => {
    const { files: _files, downloadFile: _downloadFile, ...client } = connectPypi(session);
    return client;
  },
};

const SDIST = /\.tar\.gz\b/;

describe("PyPI: a version is every file it was published with (issue 16)", () => {
  test.each([false, true])(
    "the page silently leaves out one file once it lists three or more (PEP 691 JSON %s): metadata.versions, push.many and model.random-ops fail naming the sdist",
    { timeout: 300_000 },
    async (pep691) => {
      const report = await runWith(dropOneFile(3), LISTING, { pep691, options: SMALL });
      for (const scenario of ["metadata.versions", "push.many", "model.random-ops"]) {
        const r = only(report, scenario);
        expect(r.status, `${scenario}: ${r.message}`).toBe("fail");
        expect(r.message).toMatch(/\.tar\.gz of \S+ is not listed/);
        // The expectation names the sdist; the files listed for its version leave it out.
        const missing = r.expectation?.expected.split(" ")[0] ?? "";
        expect(missing).toMatch(/\.tar\.gz$/);
        expect(r.expectation?.expected).toMatch(/listed once among the files of /);
        expect(r.expectation?.actual).toMatch(/\.whl/);
        expect(r.expectation?.actual).not.toContain(missing);
        // The evidence is the one page read, in the form the target's pep691 capability asks for.
        const page = r.exchanges.at(-1);
        expect(page?.path).toMatch(/\/simple\/[^/]+\/$/);
        expect(page?.responseHeaders["content-type"]).toMatch(pep691 ? /^application\/vnd\.pypi\.simple\.v1\+json/ : /^text\/html/);
      }
      // One version of wheel and sdist is a two-file page: this fault never fires there.
      expect(only(report, "pull.duplicate").status).toBe("pass");
    },
  );

  test("the same fault before issue 16 (versions compared, not files): every listing scenario passed", { timeout: 300_000 }, async () => {
    const report = await runWith(dropOneFile(3), LISTING, { kit: versionsOnly, options: SMALL });
    expect(statuses(report, true)).toEqual(LISTING.map((s) => `${s}: pass`));
  });

  test("a version's sdist left out even of a two-file page: pull.duplicate fails too", { timeout: 120_000 }, async () => {
    const r = only(await runWith(dropOneFile(2), ["pull.duplicate"]), "pull.duplicate");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/after the duplicate publish, every file of the version: \S+\.tar\.gz of \S+@2\.0\.0 is not listed/);
    expect(r.expectation?.expected).toMatch(SDIST);
  });

  test("a file listed but answering 404: every listing scenario that downloads fails naming it, pull.package (the wheel) passes", { timeout: 300_000 }, async () => {
    const report = await runWith(sdistGone, [...LISTING, "pull.package"], { options: SMALL });
    for (const scenario of LISTING) {
      const r = only(report, scenario);
      expect(r.status, `${scenario}: ${r.message}`).toBe("fail");
      expect(r.message).toMatch(/\.tar\.gz of \S+ is listed on the project page but not served: GET \S+ answered 404/);
      expect(r.expectation).toEqual({ expected: expect.stringMatching(/\.tar\.gz downloadable from the link the index gives \(200\)/), actual: "status 404" });
    }
    expect(only(report, "pull.package").status).toBe("pass");
  });

  test("no fault: the listing scenarios pass against the reference, HTML and PEP 691 JSON", { timeout: 300_000 }, async () => {
    for (const pep691 of [false, true]) {
      const report = await runWith(() => undefined, LISTING, { pep691, options: SMALL });
      expect(statuses(report, true)).toEqual(LISTING.map((s) => `${s}: pass`));
    }
  });
});
