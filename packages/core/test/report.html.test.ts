// The HTML report of a real run, opened in a real headless browser (Debian's
// chromium through playwright-core): it renders, the latency chart is there
// with every point, failures carry their evidence, and no token is anywhere.
// The run is the testkit's example kit against the reference registry: what is
// checked here is core's reporters, not a format.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { badgeReporter, htmlReporter, markdownReporter, runConformance, type RunReport } from "@regkit/core";
import { createReferenceRegistry, type ReferenceRegistry } from "@regkit/registry";
import { startFaultyProxy } from "@regkit/registry/faults";
import { exampleKit, exampleReference } from "@regkit/testkit";

const CHROMIUM = "/usr/bin/chromium";
let registry: ReferenceRegistry;
let dir: string;
let reports: RunReport[];
let secrets: string[];

beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [exampleReference] });
  dir = await mkdtemp(join(tmpdir(), "regkit-html-"));
  const { tokens } = registry;
  secrets = [tokens.personal, tokens.deploy, tokens.job, tokens.readonlyDeploy];
  const credentials = { personal: tokens.personal, deploy: { username: tokens.deployUsername, token: tokens.deploy }, job: tokens.job };
  const good = await runConformance({
    kit: exampleKit,
    target: { registry: registry.registries.example!, credentials, options: { manyVersions: 25, manyPackages: 10, largeSize: 2 * 1024 * 1024 } },
    scenarios: ["push.small", "push.many", "push.large"],
    tokenKinds: ["personal"],
  });
  // A registry that echoes the caller's token in its error page, and a policy
  // that expects another refusal status than the registry's 400: failures with evidence.
  const proxy = await startFaultyProxy({
    upstream: registry.url,
    fault: (e) =>
      e.method === "PUT" && e.path.includes("-dup-")
        ? { response: (res) => (res.status >= 400 ? { body: JSON.stringify({ message: `duplicate; you sent ${e.headers["private-token"]} <script>alert(1)</script>` }) } : undefined) }
        : undefined,
  });
  try {
    const bad = await runConformance({
      kit: exampleKit,
      target: { registry: registry.registries.example!.replace(registry.url, proxy.url), policies: { duplicateStatus: [409] }, credentials },
      scenarios: ["push.duplicate"],
      tokenKinds: ["personal"],
      seed: 77,
    });
    reports = [good, bad];
  } finally {
    await proxy.close();
  }
  for (const reporter of [htmlReporter(join(dir, "report.html"), { secrets }), markdownReporter(join(dir, "report.md")), badgeReporter(join(dir, "badge.svg"))]) {
    await reporter.finish(reports);
  }
});

afterAll(async () => {
  await registry.close();
  await rm(dir, { recursive: true, force: true });
});

describe("reports people read", () => {
  test("no token in the HTML, Markdown or badge, though the registry echoed one", async () => {
    const html = await readFile(join(dir, "report.html"), "utf8");
    expect(html).toContain("[REDACTED]");
    for (const file of ["report.html", "report.md", "badge.svg"]) {
      const text = await readFile(join(dir, file), "utf8");
      for (const secret of secrets) expect(text, file).not.toContain(secret);
    }
    expect(html).not.toContain("<script>alert(1)</script>");
    const md = await readFile(join(dir, "report.md"), "utf8");
    expect(md).toMatch(/\| `push\.duplicate` \| ❌ \|/);
    expect(md).toContain("expected: refused with status 409");
    const badge = await readFile(join(dir, "badge.svg"), "utf8");
    expect(badge).toContain("example 3/3 · example 0/1");
    expect(badge).toContain("#e05d44");
  });

  test.skipIf(!existsSync(CHROMIUM))(`renders in headless chromium${existsSync(CHROMIUM) ? "" : ` (skipped: ${CHROMIUM} not installed)`}`, async () => {
    const { chromium } = await import("playwright-core");
    const profile = await mkdtemp(join(tmpdir(), "regkit-chromium-"));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
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
      expect(await page.locator("td.cell.pass").count()).toBe(3);
      expect(await page.locator("td.cell.fail").count()).toBe(1);
      const charts = page.locator("svg.chart.latency polyline");
      expect(await charts.count()).toBe(2);
      expect(await charts.first().getAttribute("data-points")).toBe("25");
      expect((await charts.first().getAttribute("points"))!.trim().split(/\s+/)).toHaveLength(25);
      expect(await page.locator("svg.chart.latency").first().boundingBox()).toMatchObject({ width: 640, height: 240 });
      const problem = page.locator(".problem[data-scenario='push.duplicate']");
      await expect.poll(() => problem.textContent()).toContain("refused with status 409");
      expect(await page.locator("table.throughput").count()).toBe(1);
      await page.screenshot({ path: join(dir, "report.png"), fullPage: true });
      expect(errors).toEqual([]);
      expect(network).toEqual([]);
    } finally {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    }
  });
});
