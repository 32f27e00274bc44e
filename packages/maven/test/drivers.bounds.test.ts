// mvn against a registry that accepts connections and never answers: the
// driver must end on Maven's own read timeout (30 minutes unless set), with
// one attempt per request, and say why.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { type Socket, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ConformanceFailure, resolveTarget, targetSecrets, type Credential } from "@regkit/core";
import { mavenKit } from "@regkit/maven";
import { MVN_LIMITS, createMvnDriver } from "../src/drivers.js";

/** A registry that accepts connections, reads what comes and never writes a byte; records each request line. */
async function startBlackHole(): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let head = "";
    socket.on("data", (chunk: Buffer) => {
      // Nothing is ever answered, so a connection carries one request: its first line is enough.
      if (head.includes("\r\n") || head.length > 8192) return;
      head += chunk.toString("latin1");
      if (head.includes("\r\n")) requests.push(head.slice(0, head.indexOf("\r\n")));
    });
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the black hole has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

const TOKEN = "glpat-blackholeMavenSecret0123456789";
// Maven gives up on a request after 3 s; the whole run may take 120 s, enough
// for the JVM and one attempt per request, far less than Maven's default read
// timeout of 30 minutes.
const limits = { totalMs: 120_000, requestMs: 3_000 };
// Generous: the JVM's start plus a few seconds per request.
const BOUND_MS = 90_000;

const driver = createMvnDriver(limits);
const why = await driver.unavailable();
let hole: Awaited<ReturnType<typeof startBlackHole>>;
let workdir: string;

beforeAll(async () => {
  hole = await startBlackHole();
  workdir = await mkdtemp(join(tmpdir(), "regkit-mvn-bounds-"));
});
afterAll(async () => {
  await hole?.close();
  await rm(workdir, { recursive: true, force: true });
});

async function context(name: string) {
  await mkdir(join(workdir, name), { recursive: true });
  const registry = `${hole.url}/api/v4/projects/1/packages/maven`;
  const credential: Credential = { kind: "personal", token: TOKEN };
  const target = resolveTarget(mavenKit, { registry, credentials: { personal: TOKEN } });
  return {
    registry,
    target,
    credential,
    secrets: targetSecrets(target, credential),
    workdir: join(workdir, name),
    // Longer than the driver's own limit: what ends the run must be the driver, not this signal.
    signal: AbortSignal.timeout(limits.totalMs + 60_000),
  };
}

/** No request went out twice: Maven made one attempt at each. */
function expectNoRepeats(requests: readonly string[]): void {
  expect(requests.length).toBeGreaterThan(0);
  expect(requests.filter((r, i) => requests.indexOf(r) !== i), `requests: ${requests.join("; ")}`).toEqual([]);
}

test("the kit's mvn driver keeps its whole run within 240 s", () => {
  expect(MVN_LIMITS.totalMs).toBeLessThanOrEqual(240_000);
  expect(MVN_LIMITS.requestMs).toBeLessThan(MVN_LIMITS.totalMs);
});

describe.skipIf(why !== undefined)(`mvn against a registry that never answers${why ? ` (${why})` : ""}`, () => {
  test("deploy ends on Maven's own read timeout, one attempt per request, not accepted, and says why", async () => {
    const ctx = await context("deploy");
    hole.requests.length = 0;
    const artifact = await mavenKit.build({ name: mavenKit.packageName("bounds", "deploy"), version: "1.0.0" });
    const started = performance.now();
    const result = await driver.publish!(artifact, ctx);
    const elapsed = performance.now() - started;
    expect(result.accepted).toBe(false);
    expect(result.output).toMatch(/Read timed out/);
    expect(result.output).not.toMatch(/did not finish within/);
    expect(elapsed).toBeLessThan(BOUND_MS);
    expect(hole.requests.some((r) => r.startsWith("PUT "))).toBe(true);
    expectNoRepeats(hole.requests);
    expect(result.output).not.toContain(TOKEN);
  }, 180_000);

  test("resolve ends on Maven's own read timeout, one attempt per request, and fails with mvn's output", async () => {
    const ctx = await context("get");
    hole.requests.length = 0;
    const name = mavenKit.packageName("bounds", "get");
    const started = performance.now();
    const error = await driver.install!(name, "1.0.0", ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(ConformanceFailure);
    const failure = error as ConformanceFailure;
    expect(failure.message).toBe(`mvn could not resolve ${name}:1.0.0`);
    expect(failure.expectation.actual).toMatch(/^exit code 1: [\s\S]*Read timed out/);
    expect(failure.expectation.actual).not.toMatch(/did not finish within/);
    expect(elapsed).toBeLessThan(BOUND_MS);
    expect(hole.requests.some((r) => r.startsWith("GET "))).toBe(true);
    expectNoRepeats(hole.requests);
    expect(failure.expectation.actual).not.toContain(TOKEN);
  }, 180_000);
});
