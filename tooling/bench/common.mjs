// What the benchmark sections share: the registry in its own process (so its
// memory can be read), its memory figures, percentiles, and raw npm publishes.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../", import.meta.url));
export const cliBin = `${root}packages/cli/dist/bin.js`;

/** Starts `regkit serve` in its own process, so its memory can be read; `args` are more serve flags. */
export async function serveReference(args = []) {
  const child = spawn(process.execPath, [cliBin, "serve", "--port", "0", ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`regkit serve exited with ${code}`)));
  });
  const served = JSON.parse(line);
  return {
    ...served,
    pid: child.pid,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(undefined);
        child.once("exit", resolve);
        child.kill("SIGTERM");
      }),
  };
}

/** Peak resident set (VmHWM) of a process, in bytes. */
export async function peakRss(pid) {
  return statusBytes(pid, "VmHWM");
}

/** Resident set now (VmRSS) of a process, in bytes. */
export async function currentRss(pid) {
  return statusBytes(pid, "VmRSS");
}

async function statusBytes(pid, field) {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return kb * 1024;
}

/** The p-th quantile (0..1) of `xs`, nearest rank. */
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? 0;
}

export const median = (xs) => percentile(xs, 0.5);

/**
 * An npm publish document as the npm CLI sends it: one version, its manifest,
 * the dist-tag, the tarball as a base64 attachment. `tarball` is any bytes:
 * GitLab (and the reference) store the attachment without opening it.
 */
export function npmPublishDocument(name, version, tarball, extra = {}) {
  const file = `${name.startsWith("@") ? name.split("/")[1] : name}-${version}.tgz`;
  return JSON.stringify({
    _id: name,
    name,
    "dist-tags": { latest: version },
    versions: {
      [version]: {
        name,
        version,
        description: `regkit benchmark package ${name}`,
        main: "index.js",
        license: "MIT",
        dependencies: { "left-pad": "^1.3.0" },
        ...extra,
        dist: { shasum: "0".repeat(40), tarball: `http://example.invalid/${name}/-/${file}` },
      },
    },
    _attachments: { [file]: { content_type: "application/octet-stream", data: Buffer.from(tarball).toString("base64"), length: tarball.byteLength } },
  });
}
