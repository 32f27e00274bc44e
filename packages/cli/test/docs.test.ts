// Generated docs cannot drift: every registered format and every scenario must
// appear, with the profiles' real numbers; the documented examples compile.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GITLAB_FACTS, coreScenarios, factList } from "@regkit/core";
import { kits } from "@regkit/cli";
import { generateDocs } from "../../../tooling/docs/generate.mjs";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const GITLAB_FACTS_LIST = factList(GITLAB_FACTS);
let out: string;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "regkit-docs-"));
  await generateDocs(out, { typedoc: false });
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe("generated conformance docs", () => {
  test("every registered format has a page with every scenario, route and profile", async () => {
    expect(kits.length).toBeGreaterThan(1);
    const index = await readFile(join(out, "index.html"), "utf8");
    const matrix = await readFile(join(out, "matrix.html"), "utf8");
    for (const kit of kits) {
      expect(index).toContain(`href="${kit.format}.html"`);
      const html = await readFile(join(out, `${kit.format}.html`), "utf8");
      for (const scenario of [...coreScenarios, ...kit.scenarios]) {
        expect(html, `${kit.format}: ${scenario.id}`).toContain(`<tr id="${scenario.id}">`);
        expect(matrix, `matrix: ${scenario.id}`).toContain(`<code>${scenario.id}</code>`);
      }
      for (const route of kit.routes) expect(html).toContain(`<code>${route.path.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</code>`);
      for (const profile of Object.values(kit.profiles)) {
        const table = new RegExp(`<table class="profile" data-profile="${profile.name}">[\\s\\S]*?</table>`).exec(html)?.[0];
        expect(table, `${kit.format}/${profile.name}`).toBeDefined();
        expect(table).toContain(`data-bytes="${profile.limits.maxFileSize}"`);
        expect(table).toContain(`<td data-field="tokenKinds">${profile.tokenKinds.join(", ")}</td>`);
        expect(table).toContain(`>${profile.policies.duplicates}`);
      }
    }
  });

  test("the GitLab fidelity page lists every GitLab fact of every kit with its source, and the test that pins it names it", async () => {
    const html = await readFile(join(out, "gitlab-fidelity.html"), "utf8");
    const facts = [...GITLAB_FACTS_LIST, ...kits.flatMap((kit) => kit.gitlabFacts ?? [])];
    // The first-party kits each rely on many GitLab facts; a kit just scaffolded (`pnpm new-kit`) has none yet.
    for (const format of ["npm", "pypi", "maven", "nuget"]) {
      expect(kits.find((kit) => kit.format === format)?.gitlabFacts?.length ?? 0, `${format} has GitLab facts`).toBeGreaterThan(5);
    }
    expect(new Set(facts.map((f) => f.id)).size).toBe(facts.length);
    for (const fact of facts) {
      expect(html, fact.id).toContain(`<tr id="${fact.id}">`);
      expect(fact.source.file, fact.id).toMatch(/^(lib|app|spec|doc|config|db|workhorse|ee)\//);
      expect(fact.source.at.length, fact.id).toBeGreaterThan(3);
      expect(fact.source.version, fact.id).toMatch(/GitLab/);
      // pinFacts titles each test with the fact's id, from the facts object the test file imports.
      const pinned = await readFile(join(root, fact.pinnedBy), "utf8");
      expect(pinned, `${fact.id} is pinned by ${fact.pinnedBy}`).toContain("pinFacts(");
      expect(pinned, `${fact.id} is pinned by ${fact.pinnedBy}`).toMatch(new RegExp(`\\b${fact.id.split(".").slice(1).join(".").replace(/\./g, "\\.")}\\b`));
    }
  });

  test("the documented examples typecheck", async () => {
    const tsc = join(root, "node_modules/typescript/bin/tsc");
    const result = await promisify(execFile)(process.execPath, [tsc, "-p", join(root, "packages/cli/examples/tsconfig.json")], { cwd: root }).catch((e: { stdout: string; code: number }) => e);
    expect("code" in result ? result.stdout : "").toBe("");
  });
});
