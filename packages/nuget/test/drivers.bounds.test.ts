// NuGet.exe against registries that never answer. NuGet.exe 5.8 gives the
// service index and every read 100 s and 3 tries with no setting to shorten
// them, so against a registry that answers nothing the driver's time limit
// must end it; the push request itself is bounded by NuGet's own -Timeout,
// shown against a registry that serves its service index and then hangs.
import { type IncomingMessage, type ServerResponse, createServer as createHttpServer } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { timed, timedFailure, useBlackHole } from "@regkit/testkit";
import type { Credential } from "@regkit/core";
import { nugetKit } from "@regkit/nuget";
import { NUGET_EXE_LIMITS, createNugetExe } from "../src/drivers.js";


/**
 * A feed that serves its service index (a PackagePublish resource on itself)
 * and never answers anything else: NuGet gets as far as the push request.
 */
async function startHangingFeed(): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.method === "GET" && req.url?.endsWith("/index.json")) {
      const base = `http://${req.headers.host ?? ""}${req.url.slice(0, -"/index.json".length)}`;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ version: "3.0.0", resources: [{ "@id": base, "@type": "PackagePublish/2.0.0" }] }));
      return;
    }
    // Read the upload and never answer.
    req.resume();
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the feed has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

const TOKEN = "glpat-blackholeNugetSecret0123456789";
// Nothing answers: NuGet would wait 3 x 100 s for the service index, so the driver's limit ends it after 15 s.
const silentLimits = { totalMs: 15_000, requestMs: 3_000 };
// The service index answers and the push hangs: NuGet's -Timeout (3 s) must end it well before the 90 s limit.
const pushLimits = { totalMs: 90_000, requestMs: 3_000 };
// Generous bounds: mono's start plus the 15 s limit; mono's start plus one push timeout.
const SILENT_BOUND_MS = 45_000;
const PUSH_BOUND_MS = 60_000;

const why = await createNugetExe().unavailable();
const bench = useBlackHole("regkit-nuget-bounds-");
let feed: Awaited<ReturnType<typeof startHangingFeed>>;

beforeAll(async () => {
  feed = await startHangingFeed();
});
afterAll(async () => {
  await feed?.close();
});

const credential: Credential = { kind: "personal", token: TOKEN, username: "regkit-user" };

function context(origin: string, name: string, totalMs: number) {
  return bench.context(nugetKit, { name, registry: `${origin}/api/v4/projects/1/packages/nuget`, credential, credentials: { personal: TOKEN, personalUsername: "regkit-user" }, totalMs });
}

test("the kit's NuGet.exe driver keeps its whole run within 240 s", () => {
  expect(NUGET_EXE_LIMITS.totalMs).toBeLessThanOrEqual(240_000);
  expect(NUGET_EXE_LIMITS.requestMs).toBeLessThan(NUGET_EXE_LIMITS.totalMs);
});

describe.skipIf(why !== undefined)(`NuGet.exe against registries that never answer${why ? ` (${why})` : ""}`, () => {
  test("push to a registry that answers nothing is ended by the driver's limit, not accepted, and says so", async () => {
    const driver = createNugetExe(silentLimits);
    const ctx = await context(bench.hole.url, "push-silent", silentLimits.totalMs);
    bench.hole.requests.length = 0;
    const artifact = await nugetKit.build({ name: "Regkit.BlackHole", version: "1.0.0" });
    const { value: result, elapsedMs: elapsed } = await timed(() => driver.publish!(artifact, ctx));
    expect(result.accepted).toBe(false);
    expect(result.output).toMatch(/mono did not finish within 15 s and was killed/);
    expect(elapsed).toBeLessThan(SILENT_BOUND_MS);
    expect(bench.hole.requests).toEqual(["GET /api/v4/projects/1/packages/nuget/index.json HTTP/1.1"]);
    expect(result.output).not.toContain(TOKEN);
  }, 120_000);

  test("install from a registry that answers nothing is ended by the driver's limit and throws with NuGet's output", async () => {
    const driver = createNugetExe(silentLimits);
    const ctx = await context(bench.hole.url, "install-silent", silentLimits.totalMs);
    bench.hole.requests.length = 0;
    const { error, elapsedMs: elapsed } = await timedFailure(() => driver.install!("Regkit.BlackHole", "1.0.0", ctx));
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/^nuget install Regkit\.BlackHole 1\.0\.0 failed \(exit 124\): [\s\S]*mono did not finish within 15 s and was killed/);
    expect(elapsed).toBeLessThan(SILENT_BOUND_MS);
    expect(bench.hole.requests.length).toBeGreaterThan(0);
    expect(message).not.toContain(TOKEN);
  }, 120_000);

  test("a push request that is never answered ends on NuGet's own -Timeout, not accepted, and says why", async () => {
    const driver = createNugetExe(pushLimits);
    const ctx = await context(feed.url, "push-hanging", pushLimits.totalMs);
    feed.requests.length = 0;
    const artifact = await nugetKit.build({ name: "Regkit.BlackHole", version: "1.0.0" });
    const { value: result, elapsedMs: elapsed } = await timed(() => driver.publish!(artifact, ctx));
    expect(result.accepted).toBe(false);
    expect(result.output).toMatch(/Pushing took too long/);
    expect(result.output).not.toMatch(/did not finish within/);
    expect(elapsed).toBeLessThan(PUSH_BOUND_MS);
    expect(feed.requests).toEqual(["GET /api/v4/projects/1/packages/nuget/index.json", "PUT /api/v4/projects/1/packages/nuget/"]);
    expect(result.output).not.toContain(TOKEN);
  }, 150_000);
});
