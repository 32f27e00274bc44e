// The README's benchmark figures and the demo's time come from
// tooling/bench/figures.json (the bench.json of a `pnpm bench` run), through
// tooling/bench/readme.mjs: this test fails when someone edits one without the other.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

interface BenchRow {
  readonly measure: string;
  readonly reference: string;
  readonly compared?: string;
  readonly ratio?: string;
  readonly goal?: string;
  readonly met?: boolean | null;
}
interface Bench {
  readonly results: { readonly date: string; readonly node: string; readonly cpus: number; readonly demo?: unknown };
  readonly rows: readonly (BenchRow | readonly unknown[])[];
}
interface ReadmeModule {
  checkReadme(): Promise<string | undefined>;
  renderReadme(readme: string, bench: Bench): string;
  README: string;
  FIGURES: string;
}

const readmeScript = fileURLToPath(new URL("../../../tooling/bench/readme.mjs", import.meta.url));
const tool = (await import(readmeScript)) as ReadmeModule;

describe("README benchmark blocks", () => {
  it("match the committed figures (tooling/bench/figures.json)", async () => {
    expect(await tool.checkReadme()).toBeUndefined();
  });

  it("the check catches a figure edited by hand", async () => {
    const readme = await readFile(tool.README, "utf8");
    const figures = JSON.parse(await readFile(tool.FIGURES, "utf8")) as Bench;
    const first = figures.rows[0] as BenchRow;
    const edited = { ...figures, rows: [{ ...first, reference: `${first.reference}0` }, ...figures.rows.slice(1)] };
    // The README rendered from other figures differs from the README as it stands.
    expect(tool.renderReadme(readme, edited)).not.toBe(readme);
    // And rendering from the committed figures again gives the README back unchanged.
    expect(tool.renderReadme(readme, figures)).toBe(readme);
  });

  it("every goal row says whether it was met, and the demo's time per format is shown", async () => {
    const figures = JSON.parse(await readFile(tool.FIGURES, "utf8")) as Bench;
    const rows = figures.rows.filter((r): r is BenchRow => !Array.isArray(r));
    const withGoal = rows.filter((r) => r.goal);
    expect(withGoal.length).toBeGreaterThan(0);
    for (const row of withGoal) expect(typeof row.met === "boolean" || row.compared?.includes("skipped"), row.measure).toBe(true);
    const readme = await readFile(tool.README, "utf8");
    const demo = readme.slice(readme.indexOf("<!-- bench:demo:start -->"), readme.indexOf("<!-- bench:demo:end -->"));
    expect(demo).toMatch(/\| npm \| \d+\.\d \|/);
  });
});
