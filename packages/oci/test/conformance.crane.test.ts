// The whole catalog against a second, independent registry: `crane registry
// serve` (go-containerregistry's pkg/registry), started per run on 127.0.0.1,
// checked with the distribution profile under the personal credential (crane's
// registry has no auth, so the negative token kinds have nothing to check).
// crane's registry is a test server: it accepts what the spec says a registry
// must refuse. The kit must say so, scenario by scenario, with the request
// that showed it, and pass everything crane's registry does right: each
// result is pinned below. The spec's own suite reports the same leniency
// (spec-conformance.test.ts).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runConformance, type RunReport } from "@regkit/core";
import { ociKit } from "@regkit/oci";
import { craneRegistryUnavailable, startCraneRegistry, type StartedRegistry } from "../../../tooling/testing/oci-registries.mjs";

const MiB = 1024 * 1024;
const missing = await craneRegistryUnavailable();
let server: StartedRegistry | undefined;
let report: RunReport;

/** What crane's registry gets wrong, and the words the kit's failure must use. */
const LENIENT: Readonly<Record<string, RegExp>> = {
  "oci.bad-digest": /manifest under a digest that is not its own: answered 201/,
  "oci.manifest-blob-unknown": /manifest whose layer was never uploaded: answered 201/,
  "oci.bad-manifest": /manifest that is not JSON: answered 201/,
  "oci.manifest-digest": /without a Location/,
  "oci.delete": /deleted manifest by tag: answered 200/,
  "oci.chunked-upload": /upload's status .*answered 400/,
};

describe.skipIf(missing !== undefined)(`the catalog against crane registry serve${missing ? ` (skipped: ${missing})` : ""}`, () => {
  beforeAll(async () => {
    server = await startCraneRegistry();
    report = await runConformance({
      kit: ociKit,
      target: {
        registry: server.url,
        profile: "distribution",
        credentials: { personal: "crane-registry-ignores-this-0123", personalUsername: "regkit" },
        options: { manyVersions: 20, manyPackages: 10, largeSize: 16 * MiB, numRuns: 3, maxCommands: 8 },
      },
      tokenKinds: ["personal"],
    });
  }, 900_000);
  afterAll(async () => {
    await server?.close();
  });

  test("nothing errors: every scenario ends in a verdict", () => {
    const errors = report.results.filter((r) => r.status === "error").map((r) => `${r.scenario}: ${r.message ?? ""}`);
    expect(errors).toEqual([]);
  });

  for (const [scenario, words] of Object.entries(LENIENT)) {
    test(`${scenario} fails, naming what crane's registry accepted and the request`, () => {
      const result = report.results.find((r) => r.scenario === scenario);
      expect(result?.status, result?.message).toBe("fail");
      expect(result?.message).toMatch(words);
      expect(result?.message).toMatch(/(GET|HEAD|PUT|POST|PATCH|DELETE) \/v2\/\S+ -> \d{3}/);
    });
  }

  test("everything else passes, or is the distribution profile's recorded deviation, or skips with a reason", () => {
    const rest = report.results.filter((r) => !(r.scenario in LENIENT));
    const wrong = rest.filter((r) => r.status === "fail" || r.status === "error").map((r) => `${r.scenario}: ${r.status} ${r.message ?? ""}`);
    expect(wrong).toEqual([]);
    for (const r of rest.filter((x) => x.status === "skip")) expect(r.message, r.scenario).toBeTruthy();
    const passed = rest.filter((r) => r.status === "pass").map((r) => r.scenario);
    for (const id of ["push.small", "pull.package", "metadata.versions", "clients.roundtrip", "oci.referrers", "oci.index", "oci.mount"]) expect(passed, id).toContain(id);
  });
});
