// The NuGet kit catches feeds that get NuGet wrong: faults injected by a proxy
// in front of the reference registry, each failing the right scenario.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runConformance, type RunReport } from "@regkit/core";
import { nugetKit, nugetReference } from "@regkit/nuget";
import { createReferenceRegistry, type ReferenceRegistry } from "@regkit/registry";
import { corruptBody, mapJson, startFaultyProxy, type Fault } from "@regkit/registry/faults";

let registry: ReferenceRegistry;
beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [nugetReference] });
});
afterAll(async () => {
  await registry.close();
});

async function runWith(fault: Fault, scenarios: string[]): Promise<RunReport> {
  const proxy = await startFaultyProxy({ upstream: registry.url, fault });
  try {
    return await runConformance({
      kit: nugetKit,
      target: { registry: registry.registries.nuget!.replace(registry.url, proxy.url), credentials: { personal: registry.tokens.personal, personalUsername: registry.tokens.personalUsername }, options: { numRuns: 4 } },
      scenarios,
      tokenKinds: ["personal"],
      seed: 5,
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

const flatIndex = (e: { method: string; path: string }): boolean => e.method === "GET" && /\/download\/[^/]+\/index\.json$/.test(e.path);

describe("NuGet faults are caught by the right scenario", () => {
  test("versions rewritten in the flat container: nuget.version-normalization fails", async () => {
    // Neither normalized nor as pushed: the gitlab profile's recorded deviation (as pushed) does not cover it.
    const fault = mapJson({ when: flatIndex, map: (doc) => ({ versions: ((doc as { versions: string[] }).versions ?? []).map((v) => v.replace(/^(\d+)\.(\d+)/, "$1.0$2")) }) });
    const r = only(await runWith(fault, ["nuget.version-normalization"]), "nuget.version-normalization");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/does not list the versions as pushed either/);
  });

  test("a version missing from the flat container: nuget.version-normalization fails", async () => {
    const fault = mapJson({ when: flatIndex, map: (doc) => ({ versions: ((doc as { versions: string[] }).versions ?? []).slice(1) }) });
    const r = only(await runWith(fault, ["nuget.version-normalization"]), "nuget.version-normalization");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/does not list the versions as pushed either/);
  });

  test("case-sensitive id lookups: nuget.case-insensitive fails", async () => {
    // A feed that keys packages by the pushed casing: the lowercase lookups the protocol prescribes find nothing.
    const fault: Fault = (e) =>
      e.method === "GET" && /\/download\/regkit\.[^/]*case\.pkg[^/]*\//.test(e.path)
        ? { request: { answer: { status: 404, headers: { "content-type": "application/json" }, body: '{"message":"404 Not Found"}' } } }
        : undefined;
    const r = only(await runWith(fault, ["nuget.case-insensitive"]), "nuget.case-insensitive");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/cannot be downloaded from the flat container/);
  });

  test("registration missing a version: nuget.registration fails", async () => {
    const fault = mapJson({
      when: (e) => e.method === "GET" && /\/metadata\/[^/]+\/index\.json$/.test(e.path),
      map: (doc) => {
        const page = (doc as { items: { items: unknown[] }[] }).items[0];
        if (page) page.items = page.items.slice(1);
        return doc;
      },
    });
    const r = only(await runWith(fault, ["nuget.registration"]), "nuget.registration");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/registration and flat container .* disagree/);
  });

  test("search ignoring prerelease: nuget.search fails", async () => {
    // Answers prerelease=false as if it were true: the prerelease-only package shows up.
    const fault = mapJson({
      when: (e) => e.method === "GET" && e.path.includes("/query?") && e.path.includes("prerelease=false"),
      map: (doc, e) => {
        const q = decodeURIComponent(/[?&]q=([^&]*)/.exec(e.path)?.[1] ?? "");
        const result = doc as { totalHits: number; data: { id: string; version: string }[] };
        result.data.push({ id: `${q}.Pre`, version: "1.0.0-beta" });
        result.totalHits += 1;
        return result;
      },
    });
    const r = only(await runWith(fault, ["nuget.search"]), "nuget.search");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/prerelease=false/);
  });

  test("a corrupted .nupkg: pull.package fails", async () => {
    const r = only(await runWith(corruptBody({ when: (e) => e.method === "GET" && e.path.endsWith(".nupkg"), offset: 40 }), ["pull.package"]), "pull.package");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/is not that package|differs from what was published/);
  });
});
