// GitLab's PyPI protocol cannot delete: cleanup removes what the run uploaded
// through GitLab's Packages API, and only that; when the API refuses, the
// report says what was left and why.
import { Readable } from "node:stream";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runConformance } from "@regkit/core";
import { buildWheel, pypiKit, pypiReference, uploadForm } from "@regkit/pypi";
import { createReferenceRegistry, referenceTarget, type ReferenceRegistry } from "@regkit/registry";
import { startFaultyProxy } from "@regkit/registry/faults";

let registry: ReferenceRegistry;

beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [pypiReference] });
});

afterAll(async () => {
  await registry.close();
});

async function listed(): Promise<string[]> {
  const res = await fetch(`${registry.url}/api/v4/projects/1/packages?package_type=pypi&per_page=100`, { headers: { "private-token": registry.tokens.personal } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { name: string; version: string }[]).map((p) => `${p.name} ${p.version}`);
}

describe("cleanup through GitLab's Packages API", () => {
  test("removes every package the run uploaded, and nothing else", async () => {
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

    const report = await runConformance({ kit: pypiKit, target: referenceTarget(registry, "pypi"), scenarios: ["push.small", "push.duplicate"], runId: "gone01" });
    expect(report.summary.fail + report.summary.error).toBe(0);
    expect(report.cleanup).toMatchObject({ left: [], errors: [] });
    expect(report.cleanup.removed).toBeGreaterThanOrEqual(2);
    expect(await listed()).toEqual(before);
  });

  test("a registry without the Packages API: the report lists what is left and the refused request", async () => {
    const proxy = await startFaultyProxy({
      upstream: registry.url,
      fault: (ex) => (/\/api\/v4\/projects\/[^/]+\/packages(\?|\/\d+)/.test(ex.path) ? { request: { answer: { status: 404, body: '{"message":"404 Not Found"}' } } } : undefined),
    });
    try {
      const target = referenceTarget(registry, "pypi");
      const report = await runConformance({ kit: pypiKit, target: { ...target, registry: target.registry.replace(registry.url, proxy.url) }, scenarios: ["push.small"], runId: "left01" });
      expect(report.summary.pass).toBeGreaterThan(0);
      expect(report.cleanup.removed).toBe(0);
      expect(report.cleanup.left.length).toBeGreaterThan(0);
      expect(report.cleanup.left.every((name) => name.startsWith("regkit-left01-"))).toBe(true);
      expect(report.cleanup.errors[0]).toMatch(/GET \/api\/v4\/projects\/1\/packages\?\S+ answered 404, expected 200/);
      for (const token of [registry.tokens.personal, registry.tokens.deploy, registry.tokens.job]) {
        expect(JSON.stringify(report)).not.toContain(token);
      }
    } finally {
      await proxy.close();
    }
  });
});
