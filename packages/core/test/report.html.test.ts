// The reports a person reads, from real runs: the testkit's example kit
// against the reference registry, once as is and once behind a fault proxy
// that makes it wrong four ways (a duplicate refused with another status and a
// token echoed in the error page, an upload over the limit accepted, corrupted
// downloads found by a property, a real client served other bytes). What is
// checked is core's reporters, not a format:
// - the replay command of every failure is exact: resolving its flags gives
//   back every setting of the run (an instance limit, the large size, push.many
//   counts), and "fast-check seed" labels property failures only;
// - a real client missing from the machine is a skip of that client in the
//   HTML, Markdown, console and JUnit reports, not a silent pass;
// - in headless Chromium (Debian's, through playwright-core): failures come
//   first, every text of a failure card has at least WCAG AA contrast (4.5:1)
//   against its effective background, the request and response are labelled
//   and visible without a click, charts have units on both axes, headings do
//   not repeat; a full-page screenshot goes to regkit-report/, which CI keeps.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  badgeReporter,
  htmlReporter,
  junitReporter,
  markdownReporter,
  parseSettingPairs,
  renderConsole,
  renderHtml,
  renderMarkdown,
  resolveTarget,
  runConformance,
  settingsOf,
  type RunReport,
  type ScenarioResult,
} from "@regkit/core";
import { createReferenceRegistry, type ReferenceRegistry } from "@regkit/registry";
import { corruptBody, startFaultyProxy, type Fault } from "@regkit/registry/faults";
import { exampleKit, exampleReference } from "@regkit/testkit";
import { ABSENT, absentClient, nodeClient } from "./example-clients.js";

const CHROMIUM = "/usr/bin/chromium";
const MiB = 1024 * 1024;
const SEED = 77;
/** Where CI keeps what the test run leaves for people to look at (vitest's JUnit file is there too). */
const SCREENSHOT = fileURLToPath(new URL("../../../regkit-report/report-screenshot.png", import.meta.url));

const clientsKit = { ...exampleKit, drivers: [nodeClient({ echoStatus: true }), absentClient] };
const noClientKit = { ...exampleKit, drivers: [absentClient] };

let registry: ReferenceRegistry;
let dir: string;
let reports: RunReport[];
let good: RunReport;
let bad: RunReport;
let noClient: RunReport;
let secrets: string[];
let badRegistry: string;

const resultIn = (report: RunReport, scenario: string): ScenarioResult => {
  const found = report.results.find((r) => r.scenario === scenario);
  if (!found) throw new Error(`no ${scenario} result in the report`);
  return found;
};

/** Splits a shell command line as a POSIX shell would for the words replayCommand writes (plain or single-quoted). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const match of line.matchAll(/(?:'((?:[^']|'\\'')*)'|(\S+))/g)) words.push(match[1] !== undefined ? match[1].replace(/'\\''/g, "'") : match[2]!);
  return words;
}

beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [exampleReference] });
  dir = await mkdtemp(join(tmpdir(), "regkit-html-"));
  const { tokens } = registry;
  secrets = [tokens.personal, tokens.deploy, tokens.job, tokens.readonlyDeploy];
  const credentials = { personal: tokens.personal, deploy: { username: tokens.deployUsername, token: tokens.deploy }, job: tokens.job };
  good = await runConformance({
    kit: clientsKit,
    target: { registry: registry.registries.example!, credentials, options: { manyVersions: 25, manyPackages: 10, largeSize: 2 * MiB } },
    scenarios: ["push.small", "push.many", "push.large", "clients.roundtrip"],
    tokenKinds: ["personal"],
  });
  // A registry that echoes the caller's token in its error page for duplicates,
  // takes any size (the run declares a 3 MiB limit), and corrupts the downloads
  // of pull.package's packages and of the real client's package.
  const echo: Fault = (e) =>
    e.method === "PUT" && e.path.includes("-dup-")
      ? { response: (res) => (res.status >= 400 ? { body: JSON.stringify({ message: `duplicate; you sent ${e.headers["private-token"]} <script>alert(1)</script>` }) } : undefined) }
      : undefined;
  const corrupt = corruptBody({ when: (e) => e.method === "GET" && /-(pull\d+|client-node-fetch)-[a-z]+\/[^/]+\/[^/]+\.bin$/.test(e.path) });
  const proxy = await startFaultyProxy({ upstream: registry.url, fault: (e) => echo(e) ?? corrupt(e) });
  try {
    badRegistry = registry.registries.example!.replace(registry.url, proxy.url);
    bad = await runConformance({
      kit: clientsKit,
      // The duplicate status as a policy, the rest as settings: the replay must carry both.
      target: { registry: badRegistry, policies: { duplicateStatus: [409] }, credentials, settings: { maxFileSize: "3MiB", largeSize: "2MiB", manyVersions: 7, numRuns: 4 } },
      scenarios: ["push.duplicate", "push.over-limit", "pull.package", "clients.roundtrip"],
      tokenKinds: ["personal"],
      seed: SEED,
    });
  } finally {
    await proxy.close();
  }
  noClient = await runConformance({ kit: noClientKit, target: { registry: registry.registries.example!, credentials }, scenarios: ["clients.roundtrip"], tokenKinds: ["personal"] });
  reports = [good, bad];
  for (const reporter of [htmlReporter(join(dir, "report.html"), { secrets }), markdownReporter(join(dir, "report.md")), junitReporter(join(dir, "junit.xml")), badgeReporter(join(dir, "badge.svg"))]) {
    await reporter.finish(reports);
  }
});

afterAll(async () => {
  await registry?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("reports people read", () => {
  test("the runs failed where the registry was made wrong, and passed where it was not", () => {
    expect(good.results.map((r) => [r.scenario, r.status])).toEqual([["push.small", "pass"], ["push.large", "pass"], ["push.many", "pass"], ["clients.roundtrip", "pass"]]);
    expect(bad.results.map((r) => [r.scenario, r.status])).toEqual([["push.duplicate", "fail"], ["push.over-limit", "fail"], ["pull.package", "fail"], ["clients.roundtrip", "fail"]]);
    expect(resultIn(bad, "clients.roundtrip").message).toMatch(/^node-fetch got other bytes for regkit-\w+-client-node-fetch-pat@1\.0\.0 \(published by node-fetch\)$/);
  });

  test("no token in the HTML, Markdown, JUnit or badge, though the registry echoed one", async () => {
    const html = await readFile(join(dir, "report.html"), "utf8");
    expect(html).toContain("[REDACTED]");
    for (const file of ["report.html", "report.md", "junit.xml", "badge.svg"]) {
      const text = await readFile(join(dir, file), "utf8");
      for (const secret of secrets) expect(text, file).not.toContain(secret);
    }
    expect(html).not.toContain("<script>alert(1)</script>");
    const md = await readFile(join(dir, "report.md"), "utf8");
    expect(md).toMatch(/\| `push\.duplicate` \| ❌ \|/);
    expect(md).toContain("expected: refused with status 409");
    const badge = await readFile(join(dir, "badge.svg"), "utf8");
    expect(badge).toContain("example 4/4 · example 0/4");
    expect(badge).toContain("#e05d44");
  });

  test("every failure's replay command is exact: its flags resolve to every setting of the run, in every reporter", async () => {
    const consoleText = renderConsole(reports);
    const html = await readFile(join(dir, "report.html"), "utf8");
    const md = await readFile(join(dir, "report.md"), "utf8");
    const junit = await readFile(join(dir, "junit.xml"), "utf8");
    const commands = [...consoleText.matchAll(/^ {2}replay: {3}(regkit run .*)$/gm)].map((m) => m[1]!);
    expect(commands).toHaveLength(4);
    for (const [i, result] of bad.results.entries()) {
      const command = commands[i]!;
      const words = shellWords(command);
      const flag = (name: string): string[] => words.flatMap((w, j) => (w === name ? [words[j + 1]!] : []));
      expect(words.slice(0, 2)).toEqual(["regkit", "run"]);
      expect(flag("--format")).toEqual(["example"]);
      expect(flag("--registry")).toEqual([badRegistry]);
      expect(flag("--profile")).toEqual(["gitlab"]);
      expect(flag("--scenario")).toEqual([result.scenario]);
      expect(flag("--token-kind")).toEqual(["personal"]);
      expect(flag("--seed")).toEqual([String(SEED)]);
      const sets = flag("--set");
      for (const pair of ["maxFileSize=3MiB", "largeSize=2MiB", "manyVersions=7", "numRuns=4", "duplicateStatus=409"]) expect(sets, command).toContain(pair);
      // What the CLI does with those flags gives back the run's settings, every one of them.
      const replayed = resolveTarget(exampleKit, { registry: flag("--registry")[0]!, settings: parseSettingPairs(sets, "replay") });
      expect(replayed.settings).toEqual(bad.settings);
      // The same command in the HTML (escaped), the Markdown and the JUnit file.
      expect(html).toContain(command.replace(/&/g, "&amp;").replace(/'/g, "&#39;"));
      expect(md).toContain(`replay: \`${command}\``);
      expect(junit).toContain(`replay:   ${command.replace(/&/g, "&amp;").replace(/'/g, "&apos;")}`);
    }
    // "fast-check seed" labels the failure a property found, and only that one.
    expect([...consoleText.matchAll(/^ {2}fast-check seed (\d+), counterexample path \S+$/gm)].map((m) => m[1])).toEqual([String(SEED)]);
    expect(consoleText).toMatch(/FAIL pull\.package \[personal\][\s\S]*replay: {3}regkit run[^\n]*\n {2}fast-check seed 77, counterexample path/);
    expect(md.match(/fast-check seed/g)).toHaveLength(1);
    expect(junit.match(/fast-check seed/g)).toHaveLength(1);
    // The console no longer ends with a generic replay hint of placeholders.
    expect(consoleText).not.toContain("--scenario <id>");
  });

  test("a report that carries its profile's setting defaults replays with only the settings the run changed, still exactly", () => {
    const settingDefaults = Object.fromEntries(settingsOf(exampleKit.profiles.gitlab!).map((s) => [s.key, s.default]));
    const withDefaults = { ...bad, settingDefaults };
    const commands = [...renderConsole([withDefaults]).matchAll(/^ {2}replay: {3}(regkit run .*)$/gm)].map((m) => m[1]!);
    expect(commands).toHaveLength(4);
    for (const command of commands) {
      const words = shellWords(command);
      const sets = words.flatMap((w, j) => (w === "--set" ? [words[j + 1]!] : []));
      expect(sets).toEqual(["duplicateStatus=409", "largeSize=2MiB", "manyVersions=7", "maxFileSize=3MiB", "numRuns=4"]);
      expect(resolveTarget(exampleKit, { registry: badRegistry, settings: parseSettingPairs(sets, "replay") }).settings).toEqual(bad.settings);
    }
  });

  test("a real client missing from the machine is a skip of that client in every reporter; with none there the scenario skips", async () => {
    const roundtrip = resultIn(good, "clients.roundtrip");
    expect(roundtrip.status).toBe("pass");
    expect(roundtrip.notes).toContain(`client skipped: ${ABSENT}: ${ABSENT} not found on PATH`);
    expect(roundtrip.notes).toContain("node-fetch: published and installed byte for byte");

    const consoleText = renderConsole([good]);
    expect(consoleText).toMatch(/^clients\.roundtrip\s+pass\*\s*$/m);
    expect(consoleText).toContain(`real clients skipped (not on this machine; * in the table: that result comes from the clients that ran):\n  skipped ${ABSENT}: ${ABSENT} not found on PATH; in clients.roundtrip [personal]`);

    const md = await readFile(join(dir, "report.md"), "utf8");
    expect(md).toContain(`| \`clients.roundtrip\` | ✅ (⏭️ ${ABSENT} skipped) |`);
    expect(md).toContain(`#### Real clients skipped`);
    expect(md).toContain(`- ⏭️ **${ABSENT}**: ${ABSENT} not found on PATH; in \`clients.roundtrip\` [personal]`);

    const junit = await readFile(join(dir, "junit.xml"), "utf8");
    expect(junit).toMatch(new RegExp(`<testcase name="clients\\.roundtrip \\[personal\\] client ${ABSENT}" classname="regkit\\.example" time="0\\.000">\\s*<skipped message="client skipped: ${ABSENT}: ${ABSENT} not found on PATH"/>`));
    // Both runs ran without it: two skipped cases of their own, counted as skips, none as failures.
    expect(junit).toContain('<testsuites name="regkit" tests="10" failures="4" errors="0" skipped="2"');
    expect(junit).toMatch(/<testsuite name="regkit\.example" tests="5" failures="0" errors="0" skipped="1"/);
    // The passing result says in its own output which client it ran without.
    expect(junit).toMatch(new RegExp(`<testcase name="clients\\.roundtrip \\[personal\\]" [^>]*>\\s*<properties><property name="status" value="pass"/></properties>\\s*<system-out>[^<]*client skipped: ${ABSENT}`));

    const html = await readFile(join(dir, "report.html"), "utf8");
    expect(html).toContain(`data-clients-skipped="${ABSENT}"`);
    expect(html).toContain(`<li data-client="${ABSENT}"><span class="badge skip">skipped</span><strong>${ABSENT}</strong>: ${ABSENT} not found on PATH`);

    const none = resultIn(noClient, "clients.roundtrip");
    expect(none.status).toBe("skip");
    expect(none.message).toBe(`no real client available (${ABSENT}: ${ABSENT} not found on PATH)`);
  });

  test("setup problems the preflight found come first, each with its fix, in the HTML, Markdown and console", async () => {
    const wrong = await runConformance({ kit: exampleKit, target: { registry: registry.registries.example!, credentials: { personal: "glpat-regkitnotissuedtoanyone0" } }, scenarios: ["push.small"], tokenKinds: ["personal"] });
    const problems = wrong.preflight?.problems ?? [];
    expect(problems.length).toBeGreaterThan(0);
    const html = renderHtml([wrong]);
    const md = renderMarkdown([wrong]);
    const consoleText = renderConsole([wrong]);
    expect(html.indexOf('<section class="setup">')).toBeGreaterThan(0);
    expect(html.indexOf('<section class="setup">')).toBeLessThan(html.indexOf('<table class="matrix"'));
    expect(consoleText).toContain("setup problems (the scenarios they concern did not run; fix these first):");
    expect(md).toContain("#### Setup problems");
    for (const p of problems) {
      expect(html).toContain(`data-check="${p.check}"`);
      for (const text of [p.message, p.fix]) {
        expect(html).toContain(text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;"));
        expect(consoleText).toContain(text);
        expect(md).toContain(text.replace(/\|/g, "\\|"));
      }
    }
    expect(html).not.toContain("glpat-regkitnotissuedtoanyone0");
  });

  test.skipIf(!existsSync(CHROMIUM))(`renders legibly in headless chromium${existsSync(CHROMIUM) ? "" : ` (skipped: ${CHROMIUM} not installed)`}`, async () => {
    const { chromium } = await import("playwright-core");
    const profile = await mkdtemp(join(tmpdir(), "regkit-chromium-"));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      const network: string[] = [];
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("request", (r) => !r.url().startsWith("file:") && network.push(r.url()));
      await page.goto(pathToFileURL(join(dir, "report.html")).href);
      expect(await page.title()).toBe("regkit conformance report");
      expect(await page.locator("table.matrix").count()).toBe(2);
      expect(await page.locator("td.cell.pass").count()).toBe(4);
      expect(await page.locator("td.cell.fail").count()).toBe(4);

      // Failures first: the failure cards come before any result table.
      expect(await page.evaluate<boolean>(FAILURES_FIRST)).toBe(true);
      const cards = page.locator("section.failures article.problem");
      expect(await cards.count()).toBe(4);

      // Legibility: every text in every failure card has WCAG AA contrast against what is really behind it.
      const texts = await page.evaluate<TextContrast[]>(contrastOf("article.problem"));
      expect(texts.length).toBeGreaterThan(40);
      const poor = texts.filter((t) => t.ratio < 4.5);
      expect(poor, JSON.stringify(poor.slice(0, 5))).toEqual([]);
      // ...and across the page, matrix cells and badges included (charts aside: SVG text is drawn, not styled with color).
      const everywhere = (await page.evaluate<TextContrast[]>(contrastOf("body"))).filter((t) => t.ratio < 4.5);
      expect(everywhere, JSON.stringify(everywhere.slice(0, 5))).toEqual([]);

      for (const result of bad.results) {
        const card = page.locator(`article.problem[data-scenario='${result.scenario}']`);
        await expect.poll(() => card.count()).toBe(1);
        // Expected and actual, labelled.
        expect(await card.locator("dl.expectation dt").allTextContents()).toEqual(["expected", "actual"]);
        expect(await card.locator("dd.expected").textContent()).toBe(result.expectation!.expected);
        expect(await card.locator("dd.actual").textContent()).toBe(result.expectation!.actual);
        // The request and the response, labelled, visible without a click.
        const request = card.locator(".pane.request").last();
        const response = card.locator(".pane.response").last();
        for (const [pane, label] of [[request, "request"], [response, "response"]] as const) {
          const box = await pane.boundingBox();
          expect(box, `${result.scenario} ${label}`).not.toBeNull();
          expect(box!.width).toBeGreaterThan(100);
          expect(box!.height).toBeGreaterThan(20);
          expect(await pane.isVisible()).toBe(true);
          expect(await pane.locator(".label").first().textContent()).toBe(label);
        }
        const last = result.exchanges.at(-1)!;
        expect(await request.locator("pre.start").textContent()).toBe(`${last.method} ${last.url}`);
        expect(await response.locator("pre.start").textContent()).toMatch(new RegExp(`^${last.status}\\b`));
        expect(await response.locator("pre.headers").textContent()).toContain("content-type");
        expect(await response.locator("pre.body").isVisible()).toBe(true);
        // The replay command, labelled "replay", visible, with the run's options; "fast-check seed" on the property failure only.
        expect(await card.locator(".replay > .label").first().textContent()).toBe("replay");
        const command = (await card.locator("pre.command").textContent())!;
        expect(await card.locator("pre.command").isVisible()).toBe(true);
        for (const part of [`--scenario ${result.scenario}`, "--token-kind personal", `--seed ${SEED}`, "--set maxFileSize=3MiB", "--set largeSize=2MiB", "--set manyVersions=7"]) expect(command).toContain(part);
        expect(await card.locator(".replay .label", { hasText: "fast-check seed" }).count()).toBe(result.scenario === "pull.package" ? 1 : 0);
      }
      // The duplicate's error page is in its card, bounded and redacted; the over-limit card shows the upload that was accepted.
      expect(await page.locator("article.problem[data-scenario='push.duplicate'] .pane.response pre.body").last().textContent()).toContain("duplicate; you sent [REDACTED]");
      const overLimit = resultIn(bad, "push.over-limit").exchanges.at(-1)!;
      expect([overLimit.method, overLimit.status]).toEqual(["PUT", 201]);
      // The client that ran without its partner says so in its card too.
      expect(await page.locator("article.problem[data-scenario='clients.roundtrip'] ul.notes").textContent()).toContain(`client skipped: ${ABSENT}`);

      // Headings do not repeat within the failures or within a format's section.
      for (const duplicates of await page.evaluate<string[][]>(REPEATED_HEADINGS)) expect(duplicates).toEqual([]);

      // Charts: both axes with their units, the count named for what push.many published.
      const charts = page.locator("svg.chart.latency");
      expect(await charts.count()).toBe(2);
      expect(await charts.first().locator("polyline").getAttribute("data-points")).toBe("25");
      expect((await charts.first().locator("polyline").getAttribute("points"))!.trim().split(/\s+/)).toHaveLength(25);
      expect(await charts.first().boundingBox()).toMatchObject({ width: 640, height: 240 });
      expect(await charts.nth(0).locator("text.axis.x").textContent()).toBe("versions published");
      expect(await charts.nth(1).locator("text.axis.x").textContent()).toBe("packages published");
      for (const i of [0, 1]) {
        expect(await charts.nth(i).locator("text.axis.y").textContent()).toBe("latency (ms)");
        for (const tick of await charts.nth(i).locator("text.tick.y").allTextContents()) expect(tick).toMatch(/^\d+(\.\d)? ms$/);
        expect(await charts.nth(i).locator("text.tick.x").count()).toBeGreaterThanOrEqual(2);
      }
      expect(await page.locator("table.throughput").count()).toBe(1);

      await mkdir(join(SCREENSHOT, ".."), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect((await readFile(SCREENSHOT)).subarray(1, 4).toString()).toBe("PNG");

      // The contrast check can fail: with the old rule that painted a failure
      // card solid red with white text, its evidence is white on near-white.
      await page.addStyleTag({ content: "article.problem{color:#fff;background:#cf222e} article.problem pre{color:inherit}" });
      const old = (await page.evaluate<TextContrast[]>(contrastOf("article.problem"))).filter((t) => t.ratio < 4.5);
      expect(old.length).toBeGreaterThan(10);
      expect(Math.min(...old.map((t) => t.ratio))).toBeLessThan(1.5);

      expect(errors).toEqual([]);
      expect(network).toEqual([]);
    } finally {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    }
  });
});

// Page-side code, as strings: the browser runs it as written, untouched by the test's transpiler.

/** Whether the failures section comes before the first result table in the document. */
const FAILURES_FIRST = `(() => {
  const failures = document.querySelector("section.failures");
  const table = document.querySelector("table.matrix");
  return Boolean(failures && table && (failures.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING));
})()`;

/** Headings (h1-h4) that occur more than once inside the failures section or inside one format's section. */
const REPEATED_HEADINGS = `(() => [...document.querySelectorAll("section.failures, section.report")].map((section) => {
  const seen = [...section.querySelectorAll("h1, h2, h3, h4")].map((h) => h.textContent.replace(/\\s+/g, " ").trim());
  return seen.filter((text, i) => seen.indexOf(text) !== i);
}))()`;

interface TextContrast {
  readonly text: string;
  readonly tag: string;
  readonly ratio: number;
  readonly color: string;
  readonly background: string;
}

/**
 * For every visible text node under the elements matching the selector: its
 * computed colour, the background really behind it (walking up through
 * transparent and translucent backgrounds to an opaque one, the page white
 * last), and their WCAG 2 contrast ratio from relative luminance.
 */
const contrastOf = (selector: string): string => `(${CONTRAST})(${JSON.stringify(selector)})`;
const CONTRAST = `(selector) => {
  const parse = (css) => {
    const m = /rgba?\\(([^)]*)\\)/.exec(css);
    if (!m) throw new Error("unexpected colour " + css);
    const p = m[1].split(/[\\s,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => {
    const a = top[3] + bottom[3] * (1 - top[3]);
    if (a === 0) return [0, 0, 0, 0];
    return [0, 1, 2].map((i) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a).concat([a]);
  };
  const backgroundOf = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let bg = [255, 255, 255, 1];
    for (const layer of layers.reverse()) bg = over(layer, bg);
    return bg;
  };
  const luminance = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const out = [];
  for (const root of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!el || !node.textContent.trim() || el.closest("svg, style, script, title")) continue;
      const style = getComputedStyle(el);
      const rect = el.getBoundingClientRect();
      if (style.visibility !== "visible" || rect.width === 0 || rect.height === 0) continue;
      const bg = backgroundOf(el);
      const fg = over(parse(style.color), bg);
      const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
      out.push({ text: node.textContent.trim().slice(0, 60), tag: el.tagName, ratio: (hi + 0.05) / (lo + 0.05), color: style.color, background: "rgb(" + bg.slice(0, 3).map(Math.round).join(", ") + ")" });
    }
  }
  return out;
}`;

