// The GitLab CI templates parse and use only flags the CLI has.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { parseAllDocuments } from "yaml";
import { main } from "@regkit/cli";

const dir = fileURLToPath(new URL("../../../tooling/ci/gitlab/", import.meta.url));

async function usage(): Promise<string> {
  let text = "";
  await main(["--help"], { stdout: { write: (s: string) => ((text += s), true) } as never, stderr: process.stderr, env: {} });
  return text;
}

describe("GitLab CI templates", () => {
  for (const file of ["regkit.gitlab-ci.yml", "matrix.example.gitlab-ci.yml"]) {
    test(`${file} parses, publishes JUnit, and uses real regkit flags`, async () => {
      const text = await readFile(`${dir}${file}`, "utf8");
      const docs = parseAllDocuments(text);
      for (const doc of docs) expect(doc.errors).toEqual([]);
      const job = docs.at(-1)!.toJS() as Record<string, { script: string[]; artifacts: { reports: { junit: string }; when: string } }>;
      const [name, body] = Object.entries(job)[0]!;
      expect(name).toMatch(/^regkit/);
      expect(body.artifacts.reports.junit).toBe("regkit-junit.xml");
      expect(body.artifacts.when).toBe("always");
      expect(body.script.join("\n")).toContain('REGKIT_JOB_TOKEN="$CI_JOB_TOKEN"');
      const help = await usage();
      const flags = new Set(body.script.join(" ").match(/--[a-z][a-z-]+/g));
      for (const flag of flags) expect(help, flag).toContain(flag);
      for (const reporter of body.script.join(" ").match(/--reporter (\w+)/g) ?? []) expect(help).toContain(reporter.split(" ")[1]);
    });
  }
});
