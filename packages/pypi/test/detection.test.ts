// Detection: for pypiserver and devpi, one fault per client that the client
// itself must notice, put in front of the real server by the fault proxy.
//   - Installers (pip and pip-pypi, uv, poetry): the simple page gives a wrong sha256
//     for a file whose bytes are intact. Only the client's own hash check can
//     see it: the bytes equal what was published, so a driver that compared
//     the download with the upload, or read the exit code alone, would not
//     name it. The driver must report the client's verdict, with the sha256
//     the client computed (the true one) next to the index's.
//   - Publishers (twine and twine-pypi, uv publish, poetry publish): the upload is answered
//     with a redirect to another origin. A client that followed it would lose
//     the upload (a 301 turns the POST into a GET); twine, uv and poetry refuse it,
//     and the driver must report that refusal as the reason, not "exit 1".
// Each driver result starts with the client's name and version.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { Readable } from "node:stream";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { resolveTarget, type Artifact, type ClientDriver, type Credential } from "@regkit/core";
import { type Fault, type FaultyProxy, startFaultyProxy } from "@regkit/testkit";
import { pypiKit, uploadForm, type PypiProfile } from "@regkit/pypi";
import { pip, pipPypi, poetry, twine, twinePypi, uv } from "../src/drivers.js";
import { devpiUnavailable, pypiserverUnavailable, startDevpi, startPypiserver } from "../../../tooling/testing/pypi-servers.mjs";

const WRONG = "0".repeat(64);

/** Every sha256 a simple page gives (HTML `#sha256=` fragments, PEP 691 `hashes.sha256`) replaced by a wrong one; counts the pages it changed. */
function wrongIndexHashes(): { fault: Fault; pages: () => number } {
  let pages = 0;
  const fault: Fault = (ex) =>
    ex.method === "GET" && /\/\+?simple\/[^/]+\/?(\?.*)?$/.test(ex.path)
      ? {
          response: (res) => {
            if (res.status !== 200) return undefined;
            const text = res.body.toString("utf8");
            const changed = text.replace(/sha256=[0-9a-f]{64}/g, `sha256=${WRONG}`).replace(/("sha256"\s*:\s*")[0-9a-f]{64}/g, `$1${WRONG}`);
            if (changed === text) return undefined;
            pages += 1;
            return { body: changed };
          },
        }
      : undefined;
  return { fault, pages: () => pages };
}

/** Every upload answered with a redirect to `location` (another origin), not forwarded. */
function redirectUploads(location: string): Fault {
  return (ex) => (ex.method === "POST" ? { request: { answer: { status: 301, headers: { location } } } } : undefined);
}

interface Server {
  /** Origin of the server (the proxy's upstream). */
  readonly origin: string;
  /** The registry URL, for `origin` replaced by another. */
  registry(origin: string): string;
  readonly username: string;
  readonly password: string;
  readonly profile: "pypiserver" | "devpi";
  close(): Promise<void>;
}

const servers: { readonly label: string; readonly why: string | undefined; readonly start: () => Promise<Server> }[] = [
  {
    label: "pypiserver",
    why: pypiserverUnavailable(),
    start: async () => {
      const s = await startPypiserver({ reads: "open" });
      return { origin: s.url, registry: (origin) => origin, username: s.username, password: s.password, profile: "pypiserver", close: s.close };
    },
  },
  {
    label: "devpi",
    why: devpiUnavailable(),
    start: async () => {
      const s = await startDevpi();
      const path = new URL(s.registry).pathname;
      return { origin: s.url, registry: (origin) => `${origin}${path}`, username: s.username, password: s.password, profile: "devpi", close: s.close };
    },
  },
];

const installers: readonly ClientDriver<PypiProfile>[] = [pip, pipPypi, uv, poetry];
const publishers: readonly ClientDriver<PypiProfile>[] = [twine, twinePypi, uv, poetry];
const missing = new Map<string, string | undefined>();
for (const driver of [...installers, ...publishers]) missing.set(driver.name, await driver.unavailable());

for (const { label, why, start } of servers) {
  describe.skipIf(why !== undefined)(`${label}: faults the client itself must notice${why ? ` (skipped: ${why})` : ""}`, () => {
    let server: Server;
    let workdir: string;
    let artifact: Artifact;
    beforeAll(async () => {
      server = await start();
      workdir = await mkdtemp(join(tmpdir(), `regkit-pypi-detect-${label}-`));
      // One package on the real server, uploaded faithfully, for the installers to fetch.
      artifact = await pypiKit.build({ name: `regkit-detect-${label}`, version: "1.0.0" });
      const form = await uploadForm(artifact, { filename: artifact.filename, content: artifact.content });
      const res = await fetch(`${server.registry(server.origin)}/`, {
        method: "POST",
        headers: { "content-type": form.contentType, "content-length": String(form.length), authorization: `Basic ${Buffer.from(`${server.username}:${server.password}`).toString("base64")}` },
        body: Readable.toWeb(Readable.from(form.body)) as ReadableStream<Uint8Array>,
        duplex: "half",
      });
      expect(res.status, `uploading the fixture: ${await res.text()}`).toBeLessThan(300);
    });
    afterAll(async () => {
      await server?.close();
      if (workdir) await rm(workdir, { recursive: true, force: true });
    });

    async function contextFor(proxy: FaultyProxy, client: string) {
      const registry = server.registry(proxy.url);
      const credential: Credential = { kind: "personal", token: server.password, username: server.username };
      return {
        registry,
        target: resolveTarget(pypiKit, { registry, profile: server.profile, credentials: { personal: server.password, personalUsername: server.username } }),
        credential,
        secrets: [server.password],
        workdir: await mkdtemp(join(workdir, `${client}-`)),
        signal: AbortSignal.timeout(300_000),
      };
    }

    for (const driver of installers) {
      const skip = missing.get(driver.name);
      test.skipIf(skip !== undefined)(`${driver.name} refuses a file whose sha256 on the simple page is wrong, and the driver says so${skip ? ` (skipped: ${skip})` : ""}`, async () => {
        const { fault, pages } = wrongIndexHashes();
        const proxy = await startFaultyProxy({ upstream: server.origin, fault });
        try {
          const error = await driver.install!(artifact.name, artifact.version, await contextFor(proxy, driver.name)).then(
            (r) => new Error(`installed although the index gives a wrong sha256: ${r.output.slice(-300)}`),
            (e: unknown) => e as Error,
          );
          expect(pages(), "the fault changed no simple page").toBeGreaterThan(0);
          // The client's own verdict, with the sha256 it computed: the true one (the bytes are intact), which the index
          // does not give. pip and uv also quote the index's wrong one; poetry says only that it is not among the known hashes.
          expect(error.message).toMatch(new RegExp(`^${driver.name} \\d+\\.\\d+[^:]*: .* the client refused it: hash mismatch.*${artifact.content.digests.sha256}`, "s"));
          if (driver.name !== "poetry") expect(error.message).toMatch(new RegExp(`the index gives sha256 ${WRONG}`));
          expect(error.message).not.toContain(server.password);
        } finally {
          await proxy.close();
        }
      }, 300_000);
    }

    for (const driver of publishers) {
      const skip = missing.get(driver.name);
      test.skipIf(skip !== undefined)(`${driver.name} refuses an upload that is redirected, and the driver says so${skip ? ` (skipped: ${skip})` : ""}`, async () => {
        // Another origin: the server itself, at a path that is not its upload URL.
        const proxy = await startFaultyProxy({ upstream: server.origin, fault: redirectUploads(`${server.origin}/elsewhere/`) });
        try {
          const other = await pypiKit.build({ name: `regkit-detect-${label}-${driver.name}`, version: "1.0.0" });
          const result = await driver.publish!(other, await contextFor(proxy, driver.name));
          expect(result.accepted).toBe(false);
          expect(result.output.split("\n")[0]).toMatch(new RegExp(`^${driver.name} \\d+\\.\\d+\\S* refused: upload redirected: `));
          expect(result.output).not.toContain(server.password);
        } finally {
          await proxy.close();
        }
      }, 300_000);
    }
  });
}
