// The PyPI kit catches registries that get PyPI wrong: faults injected by a
// proxy in front of the reference registry (the testkit's fault harness), each
// failing the right scenario. Then cleanup through GitLab's Packages API.
import { Readable } from "node:stream";
import { request } from "undici";
import { describe, expect, test } from "vitest";
import { runConformance, type RunReport, type ScenarioOptions, type TokenKind } from "@regkit/core";
import { NAME_SPELLINGS_DEVIATION, buildWheel, connectPypi, gitlab, normalizeName, parseDistFilename, pip, pypiGitLabFacts, pypiKit, uploadForm } from "@regkit/pypi";
import { pypiReference } from "@regkit/pypi/reference";
import { acceptDuplicates, resultOf, useFaultHarness, type Fault, type FaultHarness } from "@regkit/testkit";

const FLAG = pypiGitLabFacts.pep691Flag.value.flag;
/** The seed these fault tests were written against: their properties replay the same cases. */
const SEED = 11;

const harness = useFaultHarness(pypiKit, pypiReference);
/** The kit with a gitlab profile that records no deviation. */
const strictHarness = useFaultHarness({ ...pypiKit, profiles: { ...pypiKit.profiles, gitlab: { ...gitlab, deviations: {} } } }, pypiReference);
/** The kit as it was before issue 16: no file listing, no per-file download. */
const versionsOnlyHarness = useFaultHarness(
  {
    ...pypiKit,
    connect: (session) => {
      const { files: _files, downloadFile: _downloadFile, ...client } = connectPypi(session);
      return client;
    },
  },
  pypiReference,
);

const isPage = (e: { method: string; path: string }): boolean => e.method === "GET" && /\/simple\/[^/]+\/?$/.test(e.path);

/** Rewrites successful project pages (HTML or JSON) as text. */
function rewritePages(map: (body: string, path: string) => string, when: (e: Parameters<Fault>[0]) => boolean = isPage): Fault {
  return (e) => (when(e) ? { response: (res) => (res.status === 200 ? { body: map(res.body.toString("utf8"), e.path) } : undefined) } : undefined);
}

/**
 * Runs `scenarios` through a harness (the plain kit's unless `on` says) with
 * `fault` and the gitlab profile. `pep691`: the registry's pypi_pep_691_json
 * flag and the profile's pep691Json setting (GitLab's default: off, HTML only).
 */
async function runWith(
  fault: Fault | undefined,
  scenarios: string[],
  { tokenKinds = ["personal"], pep691 = false, options = {}, on = harness() }: { tokenKinds?: TokenKind[]; pep691?: boolean; options?: Partial<ScenarioOptions>; on?: Pick<FaultHarness, "registry" | "run"> } = {},
): Promise<RunReport> {
  on.registry.setFeature(FLAG, pep691);
  try {
    return await on.run(fault, { scenarios, tokenKinds, options, settings: { pep691Json: pep691 }, seed: SEED });
  } finally {
    on.registry.setFeature(FLAG, false);
  }
}

describe("PyPI faults are caught by the right scenario", () => {
  test("an oversize upload the registry accepts: push.over-limit fails showing the wheel's upload, not the sdist after it", async () => {
    // A limit the profile declares (3 MiB) below what the registry enforces (none): the oversize wheel is accepted.
    const report = await harness().run(undefined, { scenarios: ["push.over-limit"], settings: { maxFileSize: "3MiB" } });
    const r = resultOf(report, "push.over-limit");
    expect(r.status).toBe("fail");
    expect(r.exchanges).toHaveLength(1);
    expect(r.exchanges[0]).toMatchObject({ method: "POST", status: 201 });
    expect(Number(r.exchanges[0]!.requestHeaders["content-length"])).toBeGreaterThan(3 * 1024 * 1024);
  });

  test.each([false, true])("a wrong sha256 fragment (PEP 691 JSON %s): pull.package and pypi.hashes fail", async (pep691) => {
    const fault = rewritePages((body) => body.replace(/sha256=[0-9a-f]{64}/g, `sha256=${"0".repeat(64)}`).replace(/"sha256":\s*"[0-9a-f]{64}"/g, `"sha256":"${"0".repeat(64)}"`));
    const report = await runWith(fault, ["pull.package", "pypi.hashes"], { pep691 });
    expect(resultOf(report, "pull.package")).toMatchObject({ status: "fail" });
    expect(resultOf(report, "pull.package").message).toMatch(/sha256 the index gives .* does not match the downloaded bytes/);
    expect(resultOf(report, "pypi.hashes").status).toBe("fail");
  });

  test("a wrong hashes.sha256 in PEP 691 JSON only: pypi.hashes fails", async () => {
    const fault = rewritePages((body) => body.replace(/"sha256":\s*"[0-9a-f]{64}"/g, `"sha256":"${"0".repeat(64)}"`));
    const r = resultOf(await runWith(fault, ["pypi.hashes"], { pep691: true }), "pypi.hashes");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/application\/vnd\.pypi\.simple\.v1\+json\) is not the uploaded bytes/);
  });

  test("a file listed under the wrong normalized name: push.small fails", async () => {
    const fault = rewritePages((body) => body.replace(/>regkit_/g, ">other_").replace(/"filename":\s*"regkit_/g, '"filename":"other_'));
    const r = resultOf(await runWith(fault, ["push.small"]), "push.small");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/missing from the versions the registry lists/);
  });

  test("the normalized name in capitals does not resolve: pypi.normalization fails, deviation recorded or not", async () => {
    const fault: Fault = (e) => (isPage(e) && /[A-Z_.]/.test(e.path.split("/simple/")[1] ?? "") ? { request: { answer: { status: 404, headers: { "content-type": "application/json" }, body: '{"message":"404 Not Found"}' } } } : undefined);
    const r = resultOf(await runWith(fault, ["pypi.normalization"]), "pypi.normalization");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/does not reach its project page/);
  });

  test("foo_bar and foo.bar that do not resolve fail pypi.normalization where the profile records no deviation", async () => {
    // The reference answers 404 to them, as GitLab does; a profile without the record fails.
    const r = resultOf(await runWith(() => undefined, ["pypi.normalization"], { on: strictHarness() }), "pypi.normalization");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/the spelling \S*[._]\S* of .* does not reach its project page/);
    expect(r.deviations).toBeUndefined();
  });

  test("a recorded deviation that occurs: GitLab's 404 for foo_bar gives pypi.normalization the status deviation", async () => {
    const r = resultOf(await runWith(() => undefined, ["pypi.normalization"]), "pypi.normalization");
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
    const r = resultOf(await runWith(fault, ["pypi.normalization"]), "pypi.normalization");
    expect(r.status).toBe("pass");
    expect(r.deviations).toEqual([expect.objectContaining({ id: NAME_SPELLINGS_DEVIATION, observed: false })]);
    expect(r.notes.join("\n")).toMatch(/no longer happens/);
  });

  test("JSON served with the HTML content type: pypi.content-negotiation fails", async () => {
    const fault: Fault = (e) =>
      isPage(e) && (e.headers.accept ?? "").includes("html") && !(e.headers.accept ?? "").includes("json")
        ? { request: { headers: { accept: "application/vnd.pypi.simple.v1+json" } }, response: (res) => ({ headers: { ...res.headers, "content-type": "text/html" } }) }
        : undefined;
    const r = resultOf(await runWith(fault, ["pypi.content-negotiation"], { pep691: true }), "pypi.content-negotiation");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/JSON served as text\/html/);
  });

  test("PEP 691 expected but HTML served: pypi.content-negotiation fails", async () => {
    // The flag stays off in the registry while the profile is told it is on.
    const fault: Fault = (e) => (isPage(e) ? { request: { headers: { accept: "text/html" } } } : undefined);
    const r = resultOf(await runWith(fault, ["pypi.content-negotiation"], { pep691: true }), "pypi.content-negotiation");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/asking for PEP 691 JSON did not give it/);
  });

  test("an HTML-only index that refuses a JSON request: pypi.content-negotiation fails", async () => {
    const fault: Fault = (e) => (isPage(e) && (e.headers.accept ?? "").includes("json") ? { request: { answer: { status: 404, body: '{"message":"404 Not Found"}' } } } : undefined);
    const r = resultOf(await runWith(fault, ["pypi.content-negotiation"]), "pypi.content-negotiation");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/HTML-only index did not answer HTML to a PEP 691 JSON request/);
  });

  test("duplicates accepted under a reject policy: push.duplicate fails", async () => {
    const r = resultOf(await runWith(acceptDuplicates(), ["push.duplicate"]), "push.duplicate");
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
    const r = resultOf(await runWith(fault, ["metadata.versions"], { pep691: true, options: { numRuns: 10 } }), "metadata.versions");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/differ from the versions published/);
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
  LISTING.map((s) => resultOf(report, s)).map((r) => `${r.scenario}: ${r.status}${detail && r.status !== "pass" ? ` ${r.message}` : ""}`);

const SDIST = /\.tar\.gz\b/;

describe("PyPI: a version is every file it was published with (issue 16)", () => {
  test.each([false, true])(
    "the page silently leaves out one file once it lists three or more (PEP 691 JSON %s): metadata.versions, push.many and model.random-ops fail naming the sdist",
    { timeout: 300_000 },
    async (pep691) => {
      const report = await runWith(dropOneFile(3), LISTING, { pep691, options: SMALL });
      for (const scenario of ["metadata.versions", "push.many", "model.random-ops"]) {
        const r = resultOf(report, scenario);
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
      expect(resultOf(report, "pull.duplicate").status).toBe("pass");
    },
  );

  test("the same fault before issue 16 (versions compared, not files): every listing scenario passed", { timeout: 300_000 }, async () => {
    const report = await runWith(dropOneFile(3), LISTING, { on: versionsOnlyHarness(), options: SMALL });
    expect(statuses(report, true)).toEqual(LISTING.map((s) => `${s}: pass`));
  });

  test("a version's sdist left out even of a two-file page: pull.duplicate fails too", { timeout: 120_000 }, async () => {
    const r = resultOf(await runWith(dropOneFile(2), ["pull.duplicate"]), "pull.duplicate");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/after the duplicate publish, every file of the version: \S+\.tar\.gz of \S+@2\.0\.0 is not listed/);
    expect(r.expectation?.expected).toMatch(SDIST);
  });

  test("a file listed but answering 404: every listing scenario that downloads fails naming it, pull.package (the wheel) passes", { timeout: 300_000 }, async () => {
    const report = await runWith(sdistGone, [...LISTING, "pull.package"], { options: SMALL });
    for (const scenario of LISTING) {
      const r = resultOf(report, scenario);
      expect(r.status, `${scenario}: ${r.message}`).toBe("fail");
      expect(r.message).toMatch(/\.tar\.gz of \S+ is listed on the project page but not served: GET \S+ answered 404/);
      expect(r.expectation).toEqual({ expected: expect.stringMatching(/\.tar\.gz downloadable from the link the index gives \(200\)/), actual: "status 404" });
    }
    expect(resultOf(report, "pull.package").status).toBe("pass");
  });

  test("no fault: the listing scenarios pass against the reference, HTML and PEP 691 JSON", { timeout: 300_000 }, async () => {
    for (const pep691 of [false, true]) {
      const report = await runWith(() => undefined, LISTING, { pep691, options: SMALL });
      expect(statuses(report, true)).toEqual(LISTING.map((s) => `${s}: pass`));
    }
  });
});

// GitLab's PyPI protocol cannot delete: cleanup removes what the run uploaded
// through GitLab's Packages API, and only that; when the API refuses, the
// report says what was left and why. A harness of its own, so that the
// registry holds only what these tests put there.
describe("cleanup through GitLab's Packages API", () => {
  const cleanup = useFaultHarness(pypiKit, pypiReference);

  async function listed(): Promise<string[]> {
    const { registry } = cleanup();
    const res = await fetch(`${registry.url}/api/v4/projects/1/packages?package_type=pypi&per_page=100`, { headers: { "private-token": registry.tokens.personal } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { name: string; version: string }[]).map((p) => `${p.name} ${p.version}`);
  }

  test("removes every package the run uploaded, and nothing else", async () => {
    const { registry } = cleanup();
    // Packages of others in the same project (one named like another run's, one
    // whose name starts like this run's): cleanup must leave them alone.
    for (const name of ["regkit-keepme-small", "regkit-gone01"]) {
      const wheel = await buildWheel({ name, version: "1.0.0" });
      const form = await uploadForm({ name, version: "1.0.0", filename: wheel.filename, content: wheel.content }, wheel);
      const res = await request(registry.registries.pypi!, {
        method: "POST",
        headers: { "content-type": form.contentType, "content-length": String(form.length), "private-token": registry.tokens.personal },
        body: Readable.from(form.body),
      });
      await res.body.dump();
      expect(res.statusCode).toBe(201);
    }
    const before = await listed();
    expect(before).toHaveLength(2);

    // The run id is fixed so that `regkit-gone01` looks like this run's own: the harness's runs take a fresh one.
    const report = await runConformance({ kit: pypiKit, target: cleanup().target(), scenarios: ["push.small", "push.duplicate"], runId: "gone01" });
    expect(report.summary.fail + report.summary.error).toBe(0);
    expect(report.cleanup).toMatchObject({ left: [], errors: [] });
    expect(report.cleanup.removed).toBeGreaterThanOrEqual(2);
    expect(await listed()).toEqual(before);
  });

  test("a registry without the Packages API: the report lists what is left and the refused request", async () => {
    const { registry } = cleanup();
    const noPackagesApi: Fault = (ex) => (/\/api\/v4\/projects\/[^/]+\/packages(\?|\/\d+)/.test(ex.path) ? { request: { answer: { status: 404, body: '{"message":"404 Not Found"}' } } } : undefined);
    // Every write kind, so that every token the run used is checked for in the report.
    const report = await cleanup().run(noPackagesApi, { scenarios: ["push.small"], tokenKinds: ["personal", "deploy", "job"] });
    expect(report.summary.pass).toBeGreaterThan(0);
    expect(report.cleanup.removed).toBe(0);
    expect(report.cleanup.left.length).toBeGreaterThan(0);
    expect(report.cleanup.left.every((name) => name.startsWith(`regkit-${report.runId}-`))).toBe(true);
    expect(report.cleanup.errors[0]).toMatch(/GET \/api\/v4\/projects\/1\/packages\?\S+ answered 404, expected 200/);
    for (const token of [registry.tokens.personal, registry.tokens.deploy, registry.tokens.job]) {
      expect(JSON.stringify(report)).not.toContain(token);
    }
  });
});

// pip reads every generated project in one run: a page that shows pip only
// its first file (an older version, for most of the seed's projects) must fail
// the check, naming the project and pip's choice.
const pipWhy = await pip.unavailable();
describe.skipIf(pipWhy !== undefined)(`pypi.pep440-order with pip${pipWhy ? ` (${pipWhy})` : ""}`, () => {
  test("passes against the reference registry, pip reading all the projects in one run", async () => {
    const r = resultOf(await runWith(undefined, ["pypi.pep440-order"]), "pypi.pep440-order");
    expect(r.status, r.message).toBe("pass");
    expect(r.notes.join("\n")).toMatch(/pip chose the highest version of each of \d+ projects, in one run/);
  });

  test("a project page that shows pip only its first-uploaded file fails it, naming the project and pip's choice", async () => {
    const firstLinkOnly = rewritePages((body) => {
      const links = body.match(/<a [^>]*>[^<]*<\/a>/g) ?? [];
      return links.length > 1 ? body.replace(/<a [^>]*>[^<]*<\/a>(<br\s*\/?>)?\s*/g, "").replace("</body>", `${links[0]}</body>`) : body;
    }, (e) => isPage(e) && (e.headers["user-agent"] ?? "").startsWith("pip/"));
    const r = resultOf(await runWith(firstLinkOnly, ["pypi.pep440-order"]), "pypi.pep440-order");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/^pip chose \S+ for regkit-\S+-order\d+\S* \(versions .+\), not the highest PEP 440 version/);
    expect(r.expectation?.expected).toBeTruthy();
    expect(r.exchanges.length).toBeGreaterThan(0);
    expect(r.exchanges.every((e) => e.via === "pip")).toBe(true);
  });
});

// devpi's `text_html` (recorded in the devpi profile as pypi.html-media-type):
// the same answer from a registry whose profile does not record it fails.
describe("a content type PEP 691 does not name, for the HTML type", () => {
  test("pypi.content-negotiation fails naming it where the profile records no deviation (gitlab)", async () => {
    const fault: Fault = (e) =>
      isPage(e) && e.headers.accept === "application/vnd.pypi.simple.v1+html" ? { response: (res) => ({ headers: { ...res.headers, "content-type": "text_html" } }) } : undefined;
    const r = resultOf(await runWith(fault, ["pypi.content-negotiation"]), "pypi.content-negotiation");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/asking for application\/vnd\.pypi\.simple\.v1\+html gave a content type PEP 691 does not name/);
    expect(r.expectation).toEqual({ expected: "content-type application/vnd.pypi.simple.v1+html or text/html", actual: "content-type text_html" });
    expect(r.exchanges.at(-1)).toMatchObject({ method: "GET", status: 200 });
  });
});
