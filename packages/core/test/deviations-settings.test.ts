// Recorded deviations and settings, end to end through the runner and the
// reporters: a deviation the registry still has is its own status, one it no
// longer has is reported as gone, an unrecorded one fails; settings override a
// profile and refuse what they do not know.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  ConformanceFailure,
  defineKit,
  renderConsole,
  renderHtml,
  renderJunit,
  renderMarkdown,
  reportJsonSchema,
  resolveTarget,
  runConformance,
  scenarioHelpers,
  settingsOf,
  type Deviation,
  type FormatKit,
  type Profile,
  type RegistryClient,
  type Scenario,
} from "@regkit/core";
import { createReferenceRegistry, referenceTarget, type ReferenceRegistry } from "@regkit/registry";
import { mapJson, startFaultyProxy } from "@regkit/registry/faults";
import { exampleKit, exampleReference } from "@regkit/testkit";

const DEVIATION = "fixture.versions-listed";
const RECORD: Deviation = { summary: "the listing leaves published versions out", source: "fixture: nowhere/listing.rb get ':name' (test)" };

const listing = {
  id: "fixture.listing",
  title: "A published version is listed",
  checklist: 5,
  description: "Publishes 1.0.0 and expects the listing to hold it (a recorded deviation may say it does not).",
  audience: "write",
  async run(ctx) {
    const name = ctx.name("listing");
    ctx.track(name, "1.0.0");
    scenarioHelpers.mustAccept(await ctx.client.publish(await ctx.build({ name, version: "1.0.0" })), "publishing 1.0.0");
    await ctx.deviates(DEVIATION, async () => {
      const versions = await ctx.client.versions(name);
      if (!versions.includes("1.0.0")) {
        throw new ConformanceFailure(`the listing of ${name} lacks 1.0.0`, { expected: "1.0.0 listed", actual: JSON.stringify(versions) }, ctx.exchanges().slice(-1));
      }
    });
  },
} satisfies Scenario;

function kitRecording(deviations: Record<string, Deviation> | undefined, settings?: Profile["settings"]): FormatKit {
  const gitlab = exampleKit.profiles.gitlab!;
  return defineKit<RegistryClient, Profile>({ ...exampleKit, scenarios: [listing], profiles: { gitlab: { ...gitlab, deviations, settings } } });
}

let registry: ReferenceRegistry;
beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [exampleReference] });
});
afterAll(async () => {
  await registry.close();
});

async function run(kit: FormatKit, url = registry.registries.example!) {
  return runConformance({ kit, target: referenceTarget(registry, "example", { registry: url }), scenarios: ["fixture.listing"], tokenKinds: ["personal"], seed: 1 });
}

async function throughLyingListing<T>(work: (url: string) => Promise<T>): Promise<T> {
  const proxy = await startFaultyProxy({
    upstream: registry.url,
    fault: mapJson({ when: (ex) => ex.method === "GET" && /listing/.test(ex.path), map: (json) => ({ ...(json as object), versions: [] }) }),
  });
  try {
    return await work(registry.registries.example!.replace(registry.url, proxy.url));
  } finally {
    await proxy.close();
  }
}

describe("recorded deviations", () => {
  test("a recorded deviation that happens is status deviation, counted apart, with its source, in every reporter", async () => {
    const report = await throughLyingListing((url) => run(kitRecording({ [DEVIATION]: RECORD }), url));
    const [result] = report.results;
    expect(result?.status).toBe("deviation");
    expect(result?.message).toContain(DEVIATION);
    expect(result?.message).toContain(RECORD.source);
    expect(result?.expectation).toEqual({ expected: "1.0.0 listed", actual: "[]" });
    expect(result?.deviations).toEqual([{ id: DEVIATION, ...RECORD, observed: true, expectation: { expected: "1.0.0 listed", actual: "[]" } }]);
    expect(report.summary).toMatchObject({ pass: 0, fail: 0, error: 0, deviation: 1, disabled: 0, deviationsGone: 0 });
    // Schema 3 added the `disabled` status and `summary.disabled`; 4 the `interrupted` flag.
    expect(report.schemaVersion).toBe(4);

    expect(renderConsole([report])).toMatch(/known deviations \(recorded in the profile[\s\S]*fixture\.versions-listed: the listing leaves/);
    expect(renderConsole([report])).toContain("0 failed, 0 skipped, 0 errors, 1 known deviations");
    expect(renderMarkdown([report])).toMatch(/#### Known deviations[\s\S]*`fixture\.versions-listed`/);
    const junit = renderJunit([report]);
    expect(junit).toContain('<property name="deviations" value="1"/>');
    expect(junit).toContain('<property name="status" value="deviation"/>');
    expect(junit).not.toContain("<failure");
    const html = renderHtml([report]);
    expect(html).toContain('data-deviation="fixture.versions-listed"');
    expect(html).toContain('data-status="deviation"');
    expect(reportJsonSchema.properties.reports.items.properties.results.items.properties.status.enum).toContain("deviation");
  });

  test("a recorded deviation that no longer happens passes and is reported as gone", async () => {
    const report = await run(kitRecording({ [DEVIATION]: RECORD }));
    const [result] = report.results;
    expect(result?.status).toBe("pass");
    expect(result?.deviations).toEqual([{ id: DEVIATION, ...RECORD, observed: false }]);
    expect(result?.notes.join("\n")).toMatch(/recorded deviation fixture\.versions-listed no longer happens/);
    expect(report.summary).toMatchObject({ pass: 1, deviation: 0, deviationsGone: 1 });
    expect(renderConsole([report])).toMatch(/recorded deviations that no longer happen[\s\S]*fixture\.versions-listed/);
    expect(renderMarkdown([report])).toContain("#### Recorded deviations that no longer happen");
    expect(renderHtml([report])).toMatch(/<ul class="deviations-gone"><li data-deviation="fixture\.versions-listed">/);
  });

  test("an unrecorded departure fails, with what was expected and the request", async () => {
    const report = await throughLyingListing((url) => run(kitRecording(undefined), url));
    const [result] = report.results;
    expect(result?.status).toBe("fail");
    expect(result?.expectation).toEqual({ expected: "1.0.0 listed", actual: "[]" });
    expect(result?.exchanges.at(-1)?.method).toBe("GET");
    expect(report.summary.deviation).toBe(0);
  });

  test("a setting can record or drop a deviation", async () => {
    const kit = kitRecording(undefined, {
      listingBug: { type: "boolean", description: "the registry's listing leaves versions out", default: false, apply: (on, draft) => void (on ? (draft.deviations[DEVIATION] = RECORD) : delete draft.deviations[DEVIATION]) },
    });
    const on = await throughLyingListing((url) =>
      runConformance({ kit, target: referenceTarget(registry, "example", { registry: url, settings: { listingBug: "true" } }), scenarios: ["fixture.listing"], tokenKinds: ["personal"], seed: 1 }),
    );
    expect(on.results[0]?.status).toBe("deviation");
    expect(on.settings.listingBug).toBe(true);
    const off = await throughLyingListing((url) => runConformance({ kit, target: referenceTarget(registry, "example", { registry: url }), scenarios: ["fixture.listing"], tokenKinds: ["personal"], seed: 1 }));
    expect(off.results[0]?.status).toBe("fail");
  });
});

describe("settings", () => {
  const target = { registry: "http://127.0.0.1:9/api/v4/projects/1/packages/example" };

  test("override capabilities, policies, limits and scenario options, parsed from strings", () => {
    const resolved = resolveTarget(exampleKit, { ...target, settings: { delete: "false", duplicates: "allow", duplicateStatus: "400,409", maxFileSize: "2MiB", manyVersions: "7", largeSize: "1KiB", anonymousRead: true } });
    expect(resolved.capabilities.delete).toBe(false);
    expect(resolved.capabilities.anonymousRead).toBe(true);
    expect(resolved.policies).toEqual({ duplicates: "allow", duplicateStatus: [400, 409] });
    expect(resolved.limits.maxFileSize).toBe(2 * 1024 * 1024);
    expect(resolved.options.manyVersions).toBe(7);
    expect(resolved.options.largeSize).toBe(1024);
    expect(resolved.settings).toMatchObject({ delete: false, duplicates: "allow", maxFileSize: 2 * 1024 * 1024, manyVersions: 7 });
  });

  test("a profile's own setting applies first, so an explicit generic setting wins over what it implied", () => {
    const kit = kitRecording(undefined, {
      visibility: { type: ["private", "public"], description: "project visibility", default: "private", apply: (v, draft) => void (draft.capabilities.anonymousRead = v === "public") },
    });
    expect(resolveTarget(kit, { ...target, settings: { visibility: "public" } }).capabilities.anonymousRead).toBe(true);
    expect(resolveTarget(kit, { ...target, settings: { visibility: "public", anonymousRead: "false" } }).capabilities.anonymousRead).toBe(false);
    expect(resolveTarget(kit, target).settings.visibility).toBe("private");
    expect(settingsOf(kit.profiles.gitlab!)[0]).toMatchObject({ key: "visibility", default: "private" });
  });

  test("an unknown key or a value of the wrong type is a ConfigError listing every valid key with its type", () => {
    expect(() => resolveTarget(exampleKit, { ...target, settings: { anonymusRead: "false" } })).toThrow(/unknown setting "anonymusRead" for the gitlab profile \(valid settings: .*anonymousRead: boolean.*duplicates: reject \| allow.*maxFileSize: size/);
    expect(() => resolveTarget(exampleKit, { ...target, settings: { anonymousRead: "maybe" } })).toThrow(/setting anonymousRead expects boolean, not "maybe"/);
    expect(() => resolveTarget(exampleKit, { ...target, settings: { duplicates: "sometimes" } })).toThrow(/setting duplicates expects reject \| allow/);
    expect(() => resolveTarget(exampleKit, { ...target, settings: { duplicateStatus: "4xx" } })).toThrow(/setting duplicateStatus expects statuses/);
    expect(() => resolveTarget(exampleKit, { ...target, settings: { maxFileSize: "big" } })).toThrow(/setting maxFileSize expects size/);
  });
});
