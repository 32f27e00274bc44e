// The real clients the core tests run the testkit's example kit with: a node
// process that uploads and downloads over HTTP through the recording proxy, as
// npm or twine would for theirs (credentials travel in its environment, never
// on its command line), and a client that is really not on this machine (its
// probe finds nothing on PATH). Shared by matrix.test.ts, report.html.test.ts
// and run-reports.test.ts.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type ClientDriver, type DriverContext, collect, digestOf, probeTool, runTool } from "@regkit/core";
import type { exampleKit } from "@regkit/testkit";

export type ExampleProfile = (typeof exampleKit.profiles)[string];

/** The node client's script; with `echoStatus` it prints each request's mode and status (the report test shows that output). */
function clientScript(echoStatus: boolean): string {
  return `
const fs = require("node:fs");
const [mode, url, file] = process.argv.slice(1);
const headers = JSON.parse(process.env.REGKIT_CLIENT_HEADERS || "{}");
(async () => {
  const res = mode === "put" ? await fetch(url, { method: "PUT", headers, body: fs.readFileSync(file) }) : await fetch(url, { headers });
${echoStatus ? "  console.log(mode, res.status);\n" : ""}  if (!res.ok) process.exit(1);
  if (mode === "get") fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
})().catch((e) => { console.error(String(e)); process.exit(2); });
`;
}

/** The "node-fetch" client of the example format. */
export function nodeClient(options: { echoStatus?: boolean } = {}): ClientDriver<ExampleProfile> {
  const script = clientScript(options.echoStatus ?? false);
  const run = async (mode: "put" | "get", url: string, file: string, ctx: DriverContext<ExampleProfile>) =>
    runTool({
      command: process.execPath,
      args: ["-e", script, mode, url, file],
      env: { REGKIT_CLIENT_HEADERS: JSON.stringify(ctx.target.profile.authHeaders(ctx.credential)) },
      secrets: ctx.secrets,
      signal: ctx.signal,
      timeoutMs: 30_000,
    });
  return {
    name: "node-fetch",
    async unavailable() {
      return (await probeTool(process.execPath, ["--version"])) ? undefined : "node cannot be started";
    },
    async publish(artifact, ctx) {
      const file = join(ctx.workdir, artifact.filename);
      await writeFile(file, await collect(artifact.content.stream()));
      const ran = await run("put", `${ctx.registry}/${artifact.name}/${artifact.version}/${artifact.filename}`, file, ctx);
      return { accepted: ran.code === 0, output: ran.output };
    },
    async install(name, version, ctx) {
      const file = join(ctx.workdir, `${name}-${version}.got`);
      const ran = await run("get", `${ctx.registry}/${name}/${version}/${name}-${version}.bin`, file, ctx);
      if (ran.code !== 0) throw new Error(`node-fetch could not download ${name}@${version}: ${ran.output}`);
      return { digests: (await digestOf(await readFile(file))).digests, output: ran.output };
    },
  };
}

/** The name of a client that is not on this machine. */
export const ABSENT = "regkit-absent-client";

/** A client that is really not on this machine: its probe finds nothing on PATH, so it never runs. */
export const absentClient: ClientDriver<ExampleProfile> = {
  name: ABSENT,
  async unavailable() {
    return (await probeTool(ABSENT, ["--version"])) ? undefined : `${ABSENT} not found on PATH`;
  },
  async install() {
    throw new Error(`${ABSENT} is not installed: it never runs`);
  },
};
