// The NuGet kit catches feeds that get NuGet wrong: faults injected by a proxy
// in front of the reference registry, each failing the right scenario. Then
// the gitlab profile against the reference registry with each setting it
// takes, its recorded deviations (seen, gone, unrecorded), and the personal
// token's owner username.
import { describe, expect, test } from "vitest";
import { ALL_TOKEN_KINDS, type FormatKit, type RegistryClient, type RunReport } from "@regkit/core";
import { gitlab, nugetKit, renderNuspec, type NuGetProfile } from "@regkit/nuget";
import { nugetReference } from "@regkit/nuget/reference";
import { corruptBody, mapJson, resultOf, useFaultHarness, type Fault } from "@regkit/testkit";

const harness = useFaultHarness(nugetKit, nugetReference);

const flatIndex = (e: { method: string; path: string }): boolean => e.method === "GET" && /\/download\/[^/]+\/index\.json$/.test(e.path);

describe("NuGet faults are caught by the right scenario", () => {
  test("versions rewritten in the flat container: nuget.version-normalization fails", async () => {
    // Neither normalized nor as pushed: the gitlab profile's recorded deviation (as pushed) does not cover it.
    const fault = mapJson({ when: flatIndex, map: (doc) => ({ versions: ((doc as { versions: string[] }).versions ?? []).map((v) => v.replace(/^(\d+)\.(\d+)/, "$1.0$2")) }) });
    const r = resultOf(await harness().run(fault, { scenarios: ["nuget.version-normalization"] }), "nuget.version-normalization");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/does not list the versions as pushed either/);
  });

  test("a version missing from the flat container: nuget.version-normalization fails", async () => {
    const fault = mapJson({ when: flatIndex, map: (doc) => ({ versions: ((doc as { versions: string[] }).versions ?? []).slice(1) }) });
    const r = resultOf(await harness().run(fault, { scenarios: ["nuget.version-normalization"] }), "nuget.version-normalization");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/does not list the versions as pushed either/);
  });

  test("case-sensitive id lookups: nuget.case-insensitive fails", async () => {
    // A feed that keys packages by the pushed casing: the lowercase lookups the protocol prescribes find nothing.
    const fault: Fault = (e) =>
      e.method === "GET" && /\/download\/regkit\.[^/]*case\.pkg[^/]*\//.test(e.path)
        ? { request: { answer: { status: 404, headers: { "content-type": "application/json" }, body: '{"message":"404 Not Found"}' } } }
        : undefined;
    const r = resultOf(await harness().run(fault, { scenarios: ["nuget.case-insensitive"] }), "nuget.case-insensitive");
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
    const r = resultOf(await harness().run(fault, { scenarios: ["nuget.registration"] }), "nuget.registration");
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
    const r = resultOf(await harness().run(fault, { scenarios: ["nuget.search"] }), "nuget.search");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/prerelease=false/);
  });

  test("a corrupted .nupkg: pull.package fails", async () => {
    const r = resultOf(await harness().run(corruptBody({ when: (e) => e.method === "GET" && e.path.endsWith(".nupkg"), offset: 40 }), { scenarios: ["pull.package"] }), "pull.package");
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

/**
 * The same kit without the per-file checks: what the scenarios saw before they
 * compared files. Its adapter is no longer a NuGet one, so it carries none of
 * the NuGet scenarios (which need the whole adapter; these tests run only core's).
 */
const versionsOnly: FormatKit<RegistryClient, NuGetProfile> = {
  ...nugetKit,
  scenarios: [],
  connect: (session) => {
    const { files: _files, downloadFile: _downloadFile, ...client } = nugetKit.connect(session);
    return client;
  },
};
const plain = useFaultHarness(versionsOnly, nugetReference);

const FILE_SCENARIOS = ["metadata.versions", "model.random-ops", "pull.duplicate"];

describe("NuGet: every version's .nupkg listed in the registration and served", () => {
  test("the same scenarios pass without a fault (no false alarm through the proxy)", async () => {
    const report = await harness().run(() => undefined, { scenarios: FILE_SCENARIOS });
    expect(report.results.map((r) => `${r.scenario}: ${r.status} ${r.message ?? ""}`).sort()).toEqual(FILE_SCENARIOS.map((s) => `${s}: pass `).sort());
  }, 120_000);

  test("a version's registration leaf disappears: metadata.versions, model.random-ops and pull.duplicate fail, naming the .nupkg", async () => {
    const report = await harness().run(lastLeaf(() => undefined), { scenarios: FILE_SCENARIOS });
    for (const scenario of FILE_SCENARIOS) {
      const r = resultOf(report, scenario);
      expect(r.status, `${scenario}: ${r.message}`).toBe("fail");
      expect(r.message).toMatch(/\.nupkg of \S+ is not listed/);
      expect(r.expectation?.expected).toMatch(/^regkit\.r[^ ]*\.nupkg listed once among the files of /);
    }
    // The flat container still lists every version: the version-number comparison alone passed.
    const before = resultOf(await plain().run(lastLeaf(() => undefined), { scenarios: ["metadata.versions"] }), "metadata.versions");
    expect(before.status, before.message).toBe("pass");
  }, 240_000);

  test("a version's leaf loses its packageContent: metadata.versions and pull.duplicate fail", async () => {
    const report = await harness().run(lastLeaf(({ packageContent: _, catalogEntry: { packageContent: __, ...entry }, ...leaf }) => ({ ...leaf, catalogEntry: entry })), { scenarios: ["metadata.versions", "pull.duplicate"] });
    for (const scenario of ["metadata.versions", "pull.duplicate"]) {
      const r = resultOf(report, scenario);
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
    const report = await harness().run(retarget, { scenarios: ["metadata.versions", "pull.duplicate"] });
    for (const scenario of ["metadata.versions", "pull.duplicate"]) {
      const r = resultOf(report, scenario);
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
    const report = await harness().run(gone, { scenarios: ["metadata.versions", "pull.duplicate"] });
    for (const scenario of ["metadata.versions", "pull.duplicate"]) {
      const r = resultOf(report, scenario);
      expect(r.status, `${scenario}: ${r.message}`).toBe("fail");
      expect(r.message).toMatch(/\.nupkg of \S+ \S+ cannot be downloaded from the flat container/);
      expect(r.expectation).toEqual({ expected: expect.stringMatching(/^200 with regkit\.r\S+\.nupkg$/), actual: "404" });
    }
    // Listing versions alone never downloads: metadata.versions passed before it checked files.
    const before = resultOf(await plain().run(gone, { scenarios: ["metadata.versions"] }), "metadata.versions");
    expect(before.status, before.message).toBe("pass");
  }, 240_000);

  test("the registration announces a packageHash the upload does not have: metadata.versions fails", async () => {
    // GitLab's registration carries no packageHash; a feed whose does must announce the pushed bytes' SHA512.
    const hash = Buffer.alloc(64, 7).toString("base64");
    const report = await harness().run(lastLeaf((leaf) => ({ ...leaf, catalogEntry: { ...leaf.catalogEntry, packageHash: hash, packageHashAlgorithm: "SHA512" } })), { scenarios: ["metadata.versions"] });
    const r = resultOf(report, "metadata.versions");
    expect(r.status, r.message).toBe("fail");
    expect(r.message).toMatch(/\.nupkg of \S+ is listed with another sha512 than it was uploaded with/);
    expect(r.expectation?.actual).toMatch(new RegExp(`^\\S+\\.nupkg listed with sha512 ${"07".repeat(64)}$`));
  }, 120_000);

  test("a .nuspec served next to the .nupkg names another version: metadata.versions fails (a 404, as on GitLab, is none: nuget.registration reports it)", async () => {
    const wrongNuspec: Fault = (e) => {
      const m = e.method === "GET" ? /\/download\/([^/]+)\/[^/]+\/[^/]+\.nuspec$/.exec(e.path) : null;
      return m ? { request: { answer: { status: 200, headers: { "content-type": "application/xml" }, body: renderNuspec(m[1]!, "9.9.9", "served by the proxy") } } } : undefined;
    };
    const r = resultOf(await harness().run(wrongNuspec, { scenarios: ["metadata.versions"] }), "metadata.versions");
    expect(r.status, r.message).toBe("fail");
    expect(r.message).toMatch(/the \.nuspec served next to \S+\.nupkg names another package/);
    expect(r.expectation?.actual).toMatch(/ 9\.9\.9$/);
  }, 120_000);
});

// The gitlab profile against reference registries set up as GitLab can be: a
// public project, a group that refuses duplicates.
const publicProject = useFaultHarness(nugetKit, nugetReference, { registry: { visibility: "public" } });
const strictGroup = useFaultHarness(nugetKit, nugetReference, { registry: { policies: { nuget: { duplicates: "reject" } } } });
// The gitlab profile with none of its recorded deviations: what GitLab's departures look like unrecorded.
const bareKit = { ...nugetKit, profiles: { ...nugetKit.profiles, "gitlab-bare": { ...gitlab, name: "gitlab-bare", deviations: {} } } };
const bare = useFaultHarness(bareKit, nugetReference);

function expectClean(report: RunReport): void {
  const bad = report.results.filter((r) => r.status === "fail" || r.status === "error");
  expect(bad.map((r) => `${r.scenario} [${r.tokenKind}] ${r.status}: ${r.message}`)).toEqual([]);
  expect(report.results.length).toBeGreaterThan(0);
}

/** Answers the flat container's .nuspec GETs the way NuGet's protocol asks (the reference has none). */
const servesNuspec = (version = (v: string) => v): Fault => (e) => {
  const m = e.method === "GET" ? /\/download\/([^/]+)\/([^/]+)\/[^/]+\.nuspec$/.exec(e.path) : null;
  return m ? { request: { answer: { status: 200, headers: { "content-type": "application/xml" }, body: renderNuspec(m[1]!, version(m[2]!), "served by the proxy") } } } : undefined;
};

describe("gitlab profile settings", () => {
  test("visibility=public against a public project: anonymous reads pass, invalid credentials are still refused", async () => {
    const report = await publicProject().run(undefined, { scenarios: ["auth.matrix", "push.small", "pull.package", "nuget."], tokenKinds: ALL_TOKEN_KINDS, settings: { visibility: "public" } });
    expectClean(report);
    expect(resultOf(report, "auth.matrix", "anonymous").status).toBe("pass");
    expect(resultOf(report, "auth.matrix", "invalid").status).toBe("pass");
    expect(report.settings.visibility).toBe("public");
  }, 300_000);

  test("the default (private) against a public project fails auth.matrix for anonymous: the setting matters", async () => {
    const report = await publicProject().run(undefined, { scenarios: ["auth.matrix"], tokenKinds: ["anonymous"] });
    expect(resultOf(report, "auth.matrix", "anonymous").status).toBe("fail");
  });

  test("duplicates=reject against a group that refuses duplicates (409)", async () => {
    const report = await strictGroup().run(undefined, { scenarios: ["push.duplicate", "pull.duplicate", "model.random-ops"], tokenKinds: ["personal", "deploy"], settings: { duplicates: "reject" } });
    expectClean(report);
    expect(resultOf(report, "push.duplicate").status).toBe("pass");
  }, 300_000);

  test("the default profile (duplicates allowed) against the default reference", async () => {
    const report = await harness().run(undefined, { scenarios: ["push.duplicate", "pull.duplicate", "push.small", "auth.matrix"], tokenKinds: ALL_TOKEN_KINDS });
    expectClean(report);
  }, 300_000);

  test("delete=false (GitLab before 16.5): cleanup removes the run's packages through the Packages API", async () => {
    const { registry } = harness();
    const report = await harness().run(undefined, { scenarios: ["push.small"], settings: { delete: false } });
    expectClean(report);
    expect(report.cleanup.errors).toEqual([]);
    expect(report.cleanup.left).toEqual([]);
    expect(report.cleanup.removed).toBeGreaterThan(0);
    const listed = await fetch(`${registry.url}/api/v4/projects/1/packages?package_type=nuget&package_name=${report.runId}`, { headers: { "private-token": registry.tokens.personal } });
    expect(await listed.json()).toEqual([]);
  });
});

describe("gitlab profile deviations", () => {
  test("GitLab's departures from NuGet's rules are reported as deviations, with their sources", async () => {
    const report = await harness().run(undefined, { scenarios: ["nuget.version-normalization", "nuget.registration"] });
    const norm = resultOf(report, "nuget.version-normalization");
    expect(norm.status).toBe("deviation");
    expect(norm.deviations?.map((d) => [d.id, d.observed])).toEqual([
      ["nuget.leading-zeros", true],
      ["nuget.flat-container-versions", true],
    ]);
    const reg = resultOf(report, "nuget.registration");
    expect(reg.status).toBe("deviation");
    expect(reg.deviations).toEqual([expect.objectContaining({ id: "nuget.flat-nuspec", observed: true, source: gitlab.deviations!["nuget.flat-nuspec"]!.source })]);
    expect(reg.deviations![0]!.source).toMatch(/lib\/api\/nuget_project_packages\.rb/);
    expect(report.summary.deviation).toBe(2);
  }, 300_000);

  test("a recorded deviation that no longer happens passes and says so", async () => {
    const report = await harness().run(servesNuspec(), { scenarios: ["nuget.registration"] });
    const r = resultOf(report, "nuget.registration");
    expect(r.status).toBe("pass");
    expect(r.deviations).toEqual([expect.objectContaining({ id: "nuget.flat-nuspec", observed: false })]);
    expect(r.notes.join("\n")).toMatch(/nuget\.flat-nuspec no longer happens/);
    expect(report.summary.deviationsGone).toBe(1);
  });

  test("a deviation the profile does not record is a failure", async () => {
    const report = await bare().run(undefined, { scenarios: ["nuget.registration", "nuget.version-normalization"], profile: "gitlab-bare" });
    expect(resultOf(report, "nuget.registration").status).toBe("fail");
    expect(resultOf(report, "nuget.registration").message).toMatch(/serves no \.nuspec/);
    expect(resultOf(report, "nuget.version-normalization").status).toBe("fail");
    expect(resultOf(report, "nuget.version-normalization").message).toMatch(/1\.05\.0 \(a leading zero\) was refused/);
  });

  test("a wrong .nuspec is a failure, not the recorded deviation", async () => {
    const report = await harness().run(servesNuspec(() => "9.9.9"), { scenarios: ["nuget.registration"] });
    const r = resultOf(report, "nuget.registration");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/the \.nuspec of/);
  });
});

describe("the personal token's owner", () => {
  test("without REGKIT_PERSONAL_USERNAME the personal kind skips, saying why", async () => {
    const report = await harness().run(undefined, { scenarios: ["push.small"], credentials: { personal: harness().registry.tokens.personal } });
    const r = resultOf(report, "push.small");
    expect(r.status).toBe("skip");
    expect(r.message).toMatch(/REGKIT_PERSONAL_USERNAME/);
  });

  test("with another user's name GitLab refuses the token (401): one setup problem naming the username, no scenario run", async () => {
    const report = await harness().run(undefined, { scenarios: ["push.small"], credentials: { personal: harness().registry.tokens.personal, personalUsername: "regkit" } });
    const r = resultOf(report, "push.small");
    expect(r).toMatchObject({ status: "skip", message: "not run: setup error: see preflight" });
    const problems = report.preflight?.problems ?? [];
    expect(problems.map((p) => p.check)).toEqual(["credential:personal"]);
    expect(problems[0]?.fix).toMatch(/REGKIT_PERSONAL_USERNAME must be its owner's username/);
  });
});
