// The NuGet kit catches feeds that get NuGet wrong: faults injected by a proxy
// in front of the reference registry, each failing the right scenario.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runConformance, type FormatKit, type RegistryClient, type RunReport } from "@regkit/core";
import { nugetKit, nugetReference, renderNuspec } from "@regkit/nuget";
import { createReferenceRegistry, type ReferenceRegistry } from "@regkit/registry";
import { corruptBody, mapJson, startFaultyProxy, type Fault } from "@regkit/registry/faults";

let registry: ReferenceRegistry;
beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [nugetReference] });
});
afterAll(async () => {
  await registry.close();
});

async function runWith(fault: Fault, scenarios: string[], kit: FormatKit = nugetKit): Promise<RunReport> {
  const proxy = await startFaultyProxy({ upstream: registry.url, fault });
  try {
    return await runConformance({
      kit,
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

// A version is its .nupkg: the registration lists it (packageContent) and the flat container serves it.
type Leaf = { packageContent?: string; catalogEntry: { version: string; packageContent?: string } };
type RegistrationIndex = { items: { items: Leaf[] }[] };
const registrationIndex = (e: { method: string; path: string }): boolean => e.method === "GET" && /\/metadata\/[^/]+\/index\.json$/.test(e.path);
/** Changes the last leaf of the registration index (the newest version, in NuGet's order). */
const lastLeaf = (change: (leaf: Leaf, others: readonly Leaf[]) => Leaf | undefined): Fault =>
  mapJson({
    when: registrationIndex,
    map: (doc) => {
      const page = (doc as RegistrationIndex).items.at(-1);
      const leaf = page?.items.at(-1);
      if (!page || !leaf) return doc;
      const changed = change(leaf, page.items.slice(0, -1));
      page.items = changed ? [...page.items.slice(0, -1), changed] : page.items.slice(0, -1);
      return doc;
    },
  });

/** The same kit without the per-file checks: what the scenarios saw before they compared files. */
const versionsOnly: FormatKit = {
  ...nugetKit,
  connect: (session) => {
    const { files: _files, downloadFile: _downloadFile, ...client } = nugetKit.connect(session);
    return client satisfies RegistryClient;
  },
};

const FILE_SCENARIOS = ["metadata.versions", "model.random-ops", "pull.duplicate"];

describe("NuGet: every version's .nupkg listed in the registration and served", () => {
  test("the same scenarios pass without a fault (no false alarm through the proxy)", async () => {
    const report = await runWith(() => undefined, FILE_SCENARIOS);
    expect(report.results.map((r) => `${r.scenario}: ${r.status} ${r.message ?? ""}`).sort()).toEqual(FILE_SCENARIOS.map((s) => `${s}: pass `).sort());
  }, 120_000);

  test("a version's registration leaf disappears: metadata.versions, model.random-ops and pull.duplicate fail, naming the .nupkg", async () => {
    const report = await runWith(lastLeaf(() => undefined), FILE_SCENARIOS);
    for (const scenario of FILE_SCENARIOS) {
      const r = only(report, scenario);
      expect(r.status, `${scenario}: ${r.message}`).toBe("fail");
      expect(r.message).toMatch(/\.nupkg of \S+ is not listed/);
      expect(r.expectation?.expected).toMatch(/^regkit\.r[^ ]*\.nupkg listed once among the files of /);
    }
    // The flat container still lists every version: the version-number comparison alone passed.
    const before = only(await runWith(lastLeaf(() => undefined), ["metadata.versions"], versionsOnly), "metadata.versions");
    expect(before.status, before.message).toBe("pass");
  }, 240_000);

  test("a version's leaf loses its packageContent: metadata.versions and pull.duplicate fail", async () => {
    const report = await runWith(lastLeaf(({ packageContent: _, catalogEntry: { packageContent: __, ...entry }, ...leaf }) => ({ ...leaf, catalogEntry: entry })), ["metadata.versions", "pull.duplicate"]);
    for (const scenario of ["metadata.versions", "pull.duplicate"]) {
      const r = only(report, scenario);
      expect(r.status, `${scenario}: ${r.message}`).toBe("fail");
      expect(r.message).toMatch(/\.nupkg of \S+ is not listed/);
      expect(r.expectation?.actual).toMatch(/^files listed for \S+: \[\]$/);
    }
  }, 120_000);

  test("a version's packageContent points at another version's package: metadata.versions and pull.duplicate fail", async () => {
    // Another published version where there is one, else one nobody published.
    const retarget = lastLeaf((leaf, others) => {
      const own = leaf.catalogEntry.version;
      const other = others[0]?.catalogEntry.version ?? "99.0.0";
      const url = leaf.packageContent!.replace(`/${own}/`, `/${other}/`).replace(`.${own.toLowerCase()}.nupkg`, `.${other.toLowerCase()}.nupkg`);
      return { ...leaf, packageContent: url, catalogEntry: { ...leaf.catalogEntry, packageContent: url } };
    });
    const report = await runWith(retarget, ["metadata.versions", "pull.duplicate"]);
    for (const scenario of ["metadata.versions", "pull.duplicate"]) {
      const r = only(report, scenario);
      expect(r.status, `${scenario}: ${r.message}`).toBe("fail");
      expect(r.message).toMatch(/\.nupkg of \S+ is not listed/);
      expect(r.expectation?.actual).toMatch(/\.(\d+\.\d+\.\d+[^ ]*|99\.0\.0)\.nupkg\]$/);
    }
  }, 120_000);

  test("the listed .nupkg answers 404: metadata.versions and pull.duplicate fail, naming the file", async () => {
    const gone: Fault = (e) =>
      e.method === "GET" && /\/download\/[^/]+\/[^/]+\/[^/]+\.nupkg$/.test(e.path)
        ? { request: { answer: { status: 404, headers: { "content-type": "application/json" }, body: '{"message":"404 Not Found"}' } } }
        : undefined;
    const report = await runWith(gone, ["metadata.versions", "pull.duplicate"]);
    for (const scenario of ["metadata.versions", "pull.duplicate"]) {
      const r = only(report, scenario);
      expect(r.status, `${scenario}: ${r.message}`).toBe("fail");
      expect(r.message).toMatch(/\.nupkg of \S+ \S+ cannot be downloaded from the flat container/);
      expect(r.expectation).toEqual({ expected: expect.stringMatching(/^200 with regkit\.r\S+\.nupkg$/), actual: "404" });
    }
    // Listing versions alone never downloads: metadata.versions passed before it checked files.
    const before = only(await runWith(gone, ["metadata.versions"], versionsOnly), "metadata.versions");
    expect(before.status, before.message).toBe("pass");
  }, 240_000);

  test("the registration announces a packageHash the upload does not have: metadata.versions fails", async () => {
    // GitLab's registration carries no packageHash; a feed whose does must announce the pushed bytes' SHA512.
    const hash = Buffer.alloc(64, 7).toString("base64");
    const report = await runWith(lastLeaf((leaf) => ({ ...leaf, catalogEntry: { ...leaf.catalogEntry, packageHash: hash, packageHashAlgorithm: "SHA512" } })), ["metadata.versions"]);
    const r = only(report, "metadata.versions");
    expect(r.status, r.message).toBe("fail");
    expect(r.message).toMatch(/\.nupkg of \S+ is listed with another sha512 than it was uploaded with/);
    expect(r.expectation?.actual).toMatch(new RegExp(`^\\S+\\.nupkg listed with sha512 ${"07".repeat(64)}$`));
  }, 120_000);

  test("a .nuspec served next to the .nupkg names another version: metadata.versions fails (a 404, as on GitLab, is none: nuget.registration reports it)", async () => {
    const wrongNuspec: Fault = (e) => {
      const m = e.method === "GET" ? /\/download\/([^/]+)\/[^/]+\/[^/]+\.nuspec$/.exec(e.path) : null;
      return m ? { request: { answer: { status: 200, headers: { "content-type": "application/xml" }, body: renderNuspec(m[1]!, "9.9.9", "served by the proxy") } } } : undefined;
    };
    const r = only(await runWith(wrongNuspec, ["metadata.versions"]), "metadata.versions");
    expect(r.status, r.message).toBe("fail");
    expect(r.message).toMatch(/the \.nuspec served next to \S+\.nupkg names another package/);
    expect(r.expectation?.actual).toMatch(/ 9\.9\.9$/);
  }, 120_000);
});
