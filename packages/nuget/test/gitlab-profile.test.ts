// The gitlab profile against the reference registry with each setting it
// takes, its recorded deviations (seen, gone, unrecorded), and the personal
// token's owner username.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runConformance, type FormatKit, type RunReport, type Target, type TokenKind } from "@regkit/core";
import { gitlab, nugetKit, nugetReference, renderNuspec } from "@regkit/nuget";
import { createReferenceRegistry, referenceTarget, type ReferenceRegistry } from "@regkit/registry";
import { startFaultyProxy, type Fault } from "@regkit/registry/faults";

let registry: ReferenceRegistry;
let publicRegistry: ReferenceRegistry;
let strict: ReferenceRegistry;

beforeAll(async () => {
  [registry, publicRegistry, strict] = await Promise.all([
    createReferenceRegistry({ formats: [nugetReference] }),
    createReferenceRegistry({ formats: [nugetReference], visibility: "public" }),
    createReferenceRegistry({ formats: [nugetReference], policies: { nuget: { duplicates: "reject" } } }),
  ]);
});

afterAll(async () => {
  await Promise.all([registry, publicRegistry, strict].map((r) => r?.close()));
});

const options = { numRuns: 3 };

async function run(target: Target, scenarios: string[], more: { kit?: FormatKit; tokenKinds?: readonly TokenKind[] } = {}): Promise<RunReport> {
  return runConformance({ kit: more.kit ?? nugetKit, target, scenarios, tokenKinds: more.tokenKinds, seed: 11 });
}

function expectClean(report: RunReport): void {
  const bad = report.results.filter((r) => r.status === "fail" || r.status === "error");
  expect(bad.map((r) => `${r.scenario} [${r.tokenKind}] ${r.status}: ${r.message}`)).toEqual([]);
  expect(report.results.length).toBeGreaterThan(0);
}

const result = (report: RunReport, scenario: string, kind = "personal") => {
  const r = report.results.find((x) => x.scenario === scenario && x.tokenKind === kind);
  expect(r, `${scenario} [${kind}]`).toBeDefined();
  return r!;
};

/** Answers the flat container's .nuspec GETs the way NuGet's protocol asks (the reference has none). */
const servesNuspec = (version = (v: string) => v): Fault => (e) => {
  const m = e.method === "GET" ? /\/download\/([^/]+)\/([^/]+)\/[^/]+\.nuspec$/.exec(e.path) : null;
  return m ? { request: { answer: { status: 200, headers: { "content-type": "application/xml" }, body: renderNuspec(m[1]!, version(m[2]!), "served by the proxy") } } } : undefined;
};

async function throughProxy(fault: Fault, target: (url: string) => Target, scenarios: string[], kit?: FormatKit): Promise<RunReport> {
  const proxy = await startFaultyProxy({ upstream: registry.url, fault });
  try {
    return await run(target(registry.registries.nuget!.replace(registry.url, proxy.url)), scenarios, { kit, tokenKinds: ["personal"] });
  } finally {
    await proxy.close();
  }
}

const personalOnly = (url: string): Target => ({ registry: url, credentials: { personal: registry.tokens.personal, personalUsername: registry.tokens.personalUsername }, options });

describe("gitlab profile settings", () => {
  test("visibility=public against a public project: anonymous reads pass, invalid credentials are still refused", async () => {
    const report = await run(referenceTarget(publicRegistry, "nuget", { settings: { visibility: "public" }, options }), ["auth.matrix", "push.small", "pull.package", "nuget."]);
    expectClean(report);
    expect(result(report, "auth.matrix", "anonymous").status).toBe("pass");
    expect(result(report, "auth.matrix", "invalid").status).toBe("pass");
    expect(report.settings.visibility).toBe("public");
  }, 300_000);

  test("the default (private) against a public project fails auth.matrix for anonymous: the setting matters", async () => {
    const report = await run(referenceTarget(publicRegistry, "nuget", { options }), ["auth.matrix"], { tokenKinds: ["anonymous"] });
    expect(result(report, "auth.matrix", "anonymous").status).toBe("fail");
  });

  test("duplicates=reject against a group that refuses duplicates (409)", async () => {
    const report = await run(referenceTarget(strict, "nuget", { settings: { duplicates: "reject" }, options }), ["push.duplicate", "pull.duplicate", "model.random-ops"], { tokenKinds: ["personal", "deploy"] });
    expectClean(report);
    expect(result(report, "push.duplicate").status).toBe("pass");
  }, 300_000);

  test("the default profile (duplicates allowed) against the default reference", async () => {
    const report = await run(referenceTarget(registry, "nuget", { options }), ["push.duplicate", "pull.duplicate", "push.small", "auth.matrix"]);
    expectClean(report);
  }, 300_000);

  test("delete=false (GitLab before 16.5): cleanup removes the run's packages through the Packages API", async () => {
    const report = await run(referenceTarget(registry, "nuget", { settings: { delete: false }, options }), ["push.small"], { tokenKinds: ["personal"] });
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
    const report = await run(personalOnly(registry.registries.nuget!), ["nuget.version-normalization", "nuget.registration"], { tokenKinds: ["personal"] });
    const norm = result(report, "nuget.version-normalization");
    expect(norm.status).toBe("deviation");
    expect(norm.deviations?.map((d) => [d.id, d.observed])).toEqual([
      ["nuget.leading-zeros", true],
      ["nuget.flat-container-versions", true],
    ]);
    const reg = result(report, "nuget.registration");
    expect(reg.status).toBe("deviation");
    expect(reg.deviations).toEqual([expect.objectContaining({ id: "nuget.flat-nuspec", observed: true, source: gitlab.deviations!["nuget.flat-nuspec"]!.source })]);
    expect(reg.deviations![0]!.source).toMatch(/lib\/api\/nuget_project_packages\.rb/);
    expect(report.summary.deviation).toBe(2);
  }, 300_000);

  test("a recorded deviation that no longer happens passes and says so", async () => {
    const report = await throughProxy(servesNuspec(), personalOnly, ["nuget.registration"]);
    const r = result(report, "nuget.registration");
    expect(r.status).toBe("pass");
    expect(r.deviations).toEqual([expect.objectContaining({ id: "nuget.flat-nuspec", observed: false })]);
    expect(r.notes.join("\n")).toMatch(/nuget\.flat-nuspec no longer happens/);
    expect(report.summary.deviationsGone).toBe(1);
  });

  test("a deviation the profile does not record is a failure", async () => {
    const bare = { ...gitlab, name: "gitlab-bare", deviations: {} };
    const kit: FormatKit = { ...nugetKit, profiles: { ...nugetKit.profiles, "gitlab-bare": bare } };
    const report = await run({ ...personalOnly(registry.registries.nuget!), profile: "gitlab-bare" }, ["nuget.registration", "nuget.version-normalization"], { kit, tokenKinds: ["personal"] });
    expect(result(report, "nuget.registration").status).toBe("fail");
    expect(result(report, "nuget.registration").message).toMatch(/serves no \.nuspec/);
    expect(result(report, "nuget.version-normalization").status).toBe("fail");
    expect(result(report, "nuget.version-normalization").message).toMatch(/1\.05\.0 \(a leading zero\) was refused/);
  });

  test("a wrong .nuspec is a failure, not the recorded deviation", async () => {
    const report = await throughProxy(servesNuspec(() => "9.9.9"), personalOnly, ["nuget.registration"]);
    const r = result(report, "nuget.registration");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/the \.nuspec of/);
  });
});

describe("the personal token's owner", () => {
  test("without REGKIT_PERSONAL_USERNAME the personal kind skips, saying why", async () => {
    const report = await run({ registry: registry.registries.nuget!, credentials: { personal: registry.tokens.personal }, options }, ["push.small"], { tokenKinds: ["personal"] });
    const r = result(report, "push.small");
    expect(r.status).toBe("skip");
    expect(r.message).toMatch(/REGKIT_PERSONAL_USERNAME/);
  });

  test("with another user's name GitLab refuses the token (401)", async () => {
    const report = await run({ registry: registry.registries.nuget!, credentials: { personal: registry.tokens.personal, personalUsername: "regkit" }, options }, ["push.small"], { tokenKinds: ["personal"] });
    const r = result(report, "push.small");
    expect(r.status).toBe("fail");
    expect(r.expectation?.actual).toBe("status 401");
  });
});
