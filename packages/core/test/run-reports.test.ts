// describeConformance leaves its run's report behind for the compatibility
// matrix: with `reportDir`, or with REGKIT_RUN_REPORTS (what CI sets), each
// describe block writes `<format>-<profile>-<label>.json` once it ends, a
// RunReport like the CLI's whose results carry the real clients that took part.
// The checks run in this file's afterAll, after the blocks' own.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect } from "vitest";
import { RUN_REPORTS_ENV, buildCompatibilityMatrix, readRunReports, reportJsonSchema } from "@regkit/core";
import { describeConformance } from "@regkit/core/vitest";
import { createReferenceRegistry } from "@regkit/registry";
import { exampleKit, exampleReference } from "@regkit/testkit";
import { Ajv2020 } from "ajv/dist/2020.js";
import * as ajvFormats from "ajv-formats";
import { ABSENT, absentClient } from "./example-clients.js";


const registry = await createReferenceRegistry({ formats: [exampleReference] });
const dir = await mkdtemp(join(tmpdir(), "regkit-run-reports-"));
const envDir = join(dir, "from-env");
const kit = { ...exampleKit, drivers: [absentClient] };
const target = { registry: registry.registries.example!, credentials: { personal: registry.tokens.personal } };

describeConformance(kit, target, { scenarios: ["push.small", "clients.roundtrip"], tokenKinds: ["personal"], reportDir: dir, label: "reference" });

// The variable is read when a block ends (CI sets it for the whole run); this file's afterAll puts it back.
const before = process.env[RUN_REPORTS_ENV];
process.env[RUN_REPORTS_ENV] = envDir;
describeConformance(kit, target, { scenarios: ["push.small"], tokenKinds: ["personal"] });

afterAll(async () => {
  try {
    const [report] = await readRunReports(dir);
    expect(report?.label).toBe("reference");
    expect(report?.results.map((r) => [r.scenario, r.tokenKind, r.status])).toEqual([
      ["push.small", "personal", "pass"],
      ["clients.roundtrip", "personal", "skip"],
    ]);
    expect(report?.summary).toMatchObject({ pass: 1, skip: 1, fail: 0 });
    expect(report?.registry).toBe(target.registry);
    // The client not on the machine: a skip with its reason in the matrix, never a pass.
    const matrix = buildCompatibilityMatrix(report ? [report] : []);
    expect(matrix.rows.map((r) => [r.client, r.version])).toEqual([[ABSENT, undefined]]);
    expect(Object.values(matrix.cells[matrix.rows[0]!.key] ?? {}).flat().map((c) => [c.status, c.reason])).toEqual([["skip", `${ABSENT} not found on PATH`]]);
    // What the JSON reporter's schema promises holds for these files too.
    const ajv = new Ajv2020({ strict: false });
    ajvFormats.default(ajv);
    const validate = ajv.compile(reportJsonSchema);
    expect(validate({ schemaVersion: 4, reports: [report] }), JSON.stringify(validate.errors)).toBe(true);
    // From the environment variable: a file named by the registry's host (no label given).
    const fromEnv = await readRunReports(envDir);
    expect(fromEnv.map((r) => r.results.map((x) => x.status))).toEqual([["pass"]]);
  } finally {
    if (before === undefined) delete process.env[RUN_REPORTS_ENV];
    else process.env[RUN_REPORTS_ENV] = before;
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
