// The README's benchmark figures come from a bench.json, never from a hand:
//
//   node tooling/bench/readme.mjs [FILE]   copies FILE (default regkit-report/bench.json,
//                                          what `pnpm bench` writes) to tooling/bench/figures.json
//                                          (committed) and rewrites the README blocks from it
//   node tooling/bench/readme.mjs --check  fails when the README blocks differ from what
//                                          tooling/bench/figures.json gives (a test runs it)
//
// The blocks sit between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->`
// markers: `table` (every measured row) and `demo` (the demo's time per format).
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
export const README = `${root}README.md`;
export const FIGURES = `${root}tooling/bench/figures.json`;
const DEFAULT_SOURCE = `${root}regkit-report/bench.json`;

/**
 * A row of bench.json as the table shows it. Rows are objects
 * (`{measure, reference, compared, ratio, goal, met}`); a section may still
 * push the older array form `[measure, reference, compared, ratio, goal, met]`.
 */
function normalize(row) {
  if (Array.isArray(row)) {
    const [measure, reference, compared, ratio, goal, met] = row;
    return { measure, reference, compared, ratio, goal, met };
  }
  return row;
}

/** ", load average 3.1 to 7.9": how busy the machine was, when the run recorded it. */
function load(results) {
  const l = results.loadAverage;
  return l && typeof l.start === "number" && typeof l.end === "number" ? `, load average ${l.start.toFixed(1)} to ${l.end.toFixed(1)}` : "";
}

const cell = (value) => String(value ?? "").replaceAll("|", "\\|");

/** The `table` block: one line per row of bench.json, in its order. */
export function renderTable(bench) {
  const { results } = bench;
  const lines = [
    `Figures of one \`pnpm bench\` run (${results.date.slice(0, 10)}, Node ${results.node.replace(/^v/, "")}, ${results.cpus} cores${load(results)}; raw numbers in [tooling/bench/figures.json](tooling/bench/figures.json)).`,
    "",
    "| measure | reference | compared with | ratio | goal | met |",
    "|---------|-----------|---------------|-------|------|-----|",
  ];
  for (const raw of bench.rows) {
    const row = normalize(raw);
    const met = row.met === undefined || row.met === null ? "" : row.met ? "yes" : "**no**";
    lines.push(`| ${cell(row.measure)} | ${cell(row.reference)} | ${cell(row.compared)} | ${cell(row.ratio)} | ${cell(row.goal)} | ${met} |`);
  }
  return lines.join("\n");
}

/** ", using 256 CPU-seconds in its own processes and 195 in the real clients": where the machine's time went, when the run recorded it. */
function cpu(seconds) {
  if (!seconds || typeof seconds.process !== "number") return "";
  const clients = typeof seconds.clients === "number" ? ` and ${seconds.clients.toFixed(0)} in the real clients it ran` : "";
  return `, using ${seconds.process.toFixed(0)} CPU-seconds in its own processes (the registry, and each format's checks in a process of its own)${clients}`;
}

/** The `demo` block: the demo's wall time and, per format, its time and its three costliest scenarios. */
export function renderDemo(bench) {
  const demo = bench.results.demo;
  if (!demo || demo.skipped) return `The demo was not timed in the run these figures come from${demo?.skipped ? ` (${demo.skipped})` : ""}.`;
  const lines = [
    `The demo took **${demo.wallSeconds.toFixed(0)} s** in that run (${Object.keys(demo.formats).length} formats, ${demo.formatsAtOnce} at a time, ${demo.cores} cores; the build before it not counted)${cpu(demo.cpuSeconds)}. Per format, with the scenarios that cost most (summed over token kinds, which run two at a time):`,
    "",
    "| format | seconds | costliest scenarios (s) |",
    "|--------|---------|-------------------------|",
  ];
  for (const [format, t] of Object.entries(demo.formats)) {
    const top = Object.entries(t.scenarios)
      .slice(0, 3)
      .map(([id, s]) => `\`${id}\` ${s.toFixed(1)}`)
      .join(", ");
    lines.push(`| ${format} | ${t.seconds.toFixed(1)} | ${top} |`);
  }
  return lines.join("\n");
}

const BLOCKS = { table: renderTable, demo: renderDemo };

/** The README with every block rendered from `bench`; throws when a block's markers are missing. */
export function renderReadme(readme, bench) {
  let out = readme;
  for (const [name, render] of Object.entries(BLOCKS)) {
    const start = `<!-- bench:${name}:start -->`;
    const end = `<!-- bench:${name}:end -->`;
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README.md has no ${start} ... ${end} block`);
    out = `${out.slice(0, from + start.length)}\n${render(bench)}\n${out.slice(to)}`;
  }
  return out;
}

/** What differs between the README and what the committed figures give, or undefined. */
export async function checkReadme() {
  const [readme, figures] = await Promise.all([readFile(README, "utf8"), readFile(FIGURES, "utf8")]);
  const expected = renderReadme(readme, JSON.parse(figures));
  if (expected === readme) return undefined;
  const a = readme.split("\n");
  const b = expected.split("\n");
  const line = a.findIndex((l, i) => l !== b[i]);
  return `README.md line ${line + 1} differs from tooling/bench/figures.json:\n  README:  ${a[line]}\n  figures: ${b[line]}\nrun \`node tooling/bench/readme.mjs tooling/bench/figures.json\` (or \`pnpm bench\`) to regenerate it`;
}

/** Copies `source` to the committed figures and rewrites the README from them. */
export async function updateReadme(source = DEFAULT_SOURCE) {
  const bench = JSON.parse(await readFile(source, "utf8"));
  if (!bench.results || !Array.isArray(bench.rows)) throw new Error(`${source} is not a bench.json (no results and rows)`);
  if (source !== FIGURES) await copyFile(source, FIGURES);
  const readme = await readFile(README, "utf8");
  await writeFile(README, renderReadme(readme, bench));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === "--check") {
    const problem = await checkReadme();
    if (problem) {
      console.error(problem);
      process.exitCode = 1;
    } else {
      console.log("README.md benchmark blocks match tooling/bench/figures.json");
    }
  } else {
    const source = process.argv[2] ? new URL(process.argv[2], `file://${process.cwd()}/`).pathname : DEFAULT_SOURCE;
    await updateReadme(source);
    console.log(`README.md benchmark blocks rewritten from ${source} (copied to tooling/bench/figures.json)`);
  }
}
