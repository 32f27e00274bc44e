// The PyPI kit catches registries that get PyPI wrong: faults injected by a
// proxy in front of the reference registry, each failing the right scenario.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runConformance, type RunReport, type TokenKind } from "@regkit/core";
import { parseDistFilename, pypiKit, pypiReference } from "@regkit/pypi";
import { createReferenceRegistry, type ReferenceRegistry } from "@regkit/registry";
import { acceptDuplicates, startFaultyProxy, type Fault } from "@regkit/registry/faults";

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

async function runWith(fault: Fault, scenarios: string[], tokenKinds: TokenKind[] = ["personal"]): Promise<RunReport> {
  const proxy = await startFaultyProxy({ upstream: registry.url, fault });
  try {
    return await runConformance({
      kit: pypiKit,
      target: { registry: registry.registries.pypi!.replace(registry.url, proxy.url), profile: "gitlab", credentials: { personal: registry.tokens.personal }, options: { numRuns: 3 } },
      scenarios,
      tokenKinds,
      seed: 11,
    });
  } finally {
    await proxy.close();
  }
}

const only = (report: RunReport, scenario: string) => {
  const r = report.results.find((x) => x.scenario === scenario);
  expect(r, scenario).toBeDefined();
  return r!;
};

describe("PyPI faults are caught by the right scenario", () => {
  test("a wrong sha256 fragment: pull.package and pypi.hashes fail", async () => {
    const fault = rewritePages((body) => body.replace(/sha256=[0-9a-f]{64}/g, `sha256=${"0".repeat(64)}`).replace(/"sha256":\s*"[0-9a-f]{64}"/g, `"sha256":"${"0".repeat(64)}"`));
    const report = await runWith(fault, ["pull.package", "pypi.hashes"]);
    expect(only(report, "pull.package")).toMatchObject({ status: "fail" });
    expect(only(report, "pull.package").message).toMatch(/sha256 the index gives .* does not match the downloaded bytes/);
    expect(only(report, "pypi.hashes").status).toBe("fail");
  });

  test("a file listed under the wrong normalized name: push.small fails", async () => {
    const fault = rewritePages((body) => body.replace(/>regkit_/g, ">other_").replace(/"filename":\s*"regkit_/g, '"filename":"other_'));
    const r = only(await runWith(fault, ["push.small"]), "push.small");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/missing from the versions the registry lists/);
  });

  test("non-normalized names that do not resolve: pypi.normalization fails", async () => {
    const fault: Fault = (e) => (isPage(e) && /[A-Z_.]/.test(e.path.split("/simple/")[1] ?? "") ? { request: { answer: { status: 404, headers: { "content-type": "application/json" }, body: '{"message":"404 Not Found"}' } } } : undefined);
    const r = only(await runWith(fault, ["pypi.normalization"]), "pypi.normalization");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/does not reach its project page/);
  });

  test("JSON served with the HTML content type: pypi.content-negotiation fails", async () => {
    const fault: Fault = (e) =>
      isPage(e) && (e.headers.accept ?? "").includes("html") && !(e.headers.accept ?? "").includes("json")
        ? { request: { headers: { accept: "application/vnd.pypi.simple.v1+json" } }, response: (res) => ({ headers: { ...res.headers, "content-type": "text/html" } }) }
        : undefined;
    const r = only(await runWith(fault, ["pypi.content-negotiation"]), "pypi.content-negotiation");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/JSON served as text\/html/);
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
    try {
      const report = await runConformance({
        kit: pypiKit,
        target: { registry: registry.registries.pypi!.replace(registry.url, proxy.url), credentials: { personal: registry.tokens.personal }, options: { numRuns: 10 } },
        scenarios: ["metadata.versions"],
        tokenKinds: ["personal"],
        seed: 11,
      });
      const r = only(report, "metadata.versions");
      expect(r.status).toBe("fail");
      expect(r.message).toMatch(/differ from the versions published/);
    } finally {
      await proxy.close();
    }
  });
});
