import type { ReferenceRegistry } from "@regkit/registry";
import {
  type FaultExchange,
  type FaultyProxy,
  acceptDuplicates,
  composeFaults,
  corruptBody,
  delayResponses,
  ignoreCredentials,
  mapJson,
  startFaultyProxy,
  truncateBody,
} from "@regkit/registry/faults";
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { call, chunks, sha256, startRegistry } from "./helpers.js";

let registry: ReferenceRegistry;
let headers: Record<string, string>;
let proxy: FaultyProxy | undefined;
const content = "the bytes of a small package, long enough to corrupt and to truncate";

/** The generic endpoint as seen through the proxy. */
const via = (p: FaultyProxy): string => registry.registries.generic!.replace(registry.url, p.url);

beforeAll(async () => {
  registry = await startRegistry();
  headers = { "private-token": registry.tokens.personal };
  const generic = registry.registries.generic!;
  for (const version of ["1.0.0", "1.0.1", "1.1.0"]) {
    await call(`${generic}/pkg/${version}/pkg.bin`, { method: "PUT", headers, body: content });
  }
});

afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

afterAll(() => registry.close());

describe("startFaultyProxy", () => {
  it("proxies faithfully when the fault does nothing, uploads streamed", async () => {
    proxy = await startFaultyProxy({ upstream: registry.url, fault: () => undefined });
    const upload = chunks(8 * 1024 * 1024, 0x33);
    const put = await call(`${via(proxy)}/through/1.0.0/big.bin`, { method: "PUT", headers, body: upload.stream() });
    expect(put.status).toBe(201);
    const res = await call(`${via(proxy)}/through/1.0.0/big.bin`, { headers });
    expect(sha256(res.text)).toBe(upload.sha256);
    expect((await call(`${via(proxy)}/pkg/1.0.0/pkg.bin`)).status).toBe(401);
    // An upstream that answers before reading the whole upload still gets its answer through.
    registry.setLimits("generic", { maxFileSize: 1024 });
    try {
      const tooBig = await call(`${via(proxy)}/through/2.0.0/big.bin`, { method: "PUT", headers, body: upload.stream() });
      expect(tooBig.status).toBe(413);
    } finally {
      registry.setLimits("generic", { maxFileSize: 0 });
    }
  });

  it("corrupts a byte of a download", async () => {
    proxy = await startFaultyProxy({
      upstream: registry.url,
      fault: corruptBody({ when: (ex) => ex.path.endsWith(".bin") }),
    });
    const res = await call(`${via(proxy)}/pkg/1.0.0/pkg.bin`, { headers });
    expect(res.status).toBe(200);
    expect(res.text).toHaveLength(content.length);
    expect(res.text).not.toBe(content);
    // The announced digest is still the true one: that mismatch is what a kit must catch.
    expect(res.headers["x-checksum-sha256"]).toBe(sha256(content));
  });

  it("truncates a body below its Content-Length and ends the connection", async () => {
    proxy = await startFaultyProxy({ upstream: registry.url, fault: truncateBody({ keep: 10 }) });
    const res = await request(`${via(proxy)}/pkg/1.0.0/pkg.bin`, { headers });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-length"]).toBe(String(content.length));
    await expect(res.body.text()).rejects.toThrow();
  });

  it("drops a version from JSON", async () => {
    proxy = await startFaultyProxy({
      upstream: registry.url,
      fault: mapJson({
        when: (ex) => ex.path.endsWith("/pkg"),
        map: (doc) => {
          const listing = doc as { versions: { version: string }[] };
          return { ...listing, versions: listing.versions.filter((v) => v.version !== "1.0.1") };
        },
      }),
    });
    const listing = (await call(`${via(proxy)}/pkg`, { headers })).json() as { versions: { version: string }[] };
    expect(listing.versions.map((v) => v.version)).toEqual(["1.0.0", "1.1.0"]);
  });

  it("ignores credentials by forwarding everything as a valid user", async () => {
    proxy = await startFaultyProxy({
      upstream: registry.url,
      fault: ignoreCredentials({ as: { "PRIVATE-TOKEN": registry.tokens.personal } }),
    });
    expect((await call(`${via(proxy)}/pkg/1.0.0/pkg.bin`)).text).toBe(content);
    const invalid = await call(`${via(proxy)}/anon/1.0.0/a.bin`, {
      method: "PUT",
      headers: { "private-token": "glpat-nobody-issued-this" },
      body: "anonymous write",
    });
    expect(invalid.status).toBe(201);
    expect((await call(`${registry.registries.generic}/anon/1.0.0/a.bin`, { headers })).text).toBe("anonymous write");
  });

  it("ignores credentials by accepting unauthenticated writes without forwarding them", async () => {
    proxy = await startFaultyProxy({
      upstream: registry.url,
      fault: ignoreCredentials({ validTokens: [registry.tokens.personal] }),
    });
    const anonymous = await call(`${via(proxy)}/ghost/1.0.0/a.bin`, { method: "PUT", body: chunks(2 * 1024 * 1024).stream() });
    expect(anonymous.status).toBe(201);
    expect((await call(`${registry.registries.generic}/ghost`, { headers })).status).toBe(404);
    // A valid writer still goes through to the registry.
    const real = await call(`${via(proxy)}/real/1.0.0/a.bin`, { method: "PUT", headers, body: "real" });
    expect(real.status).toBe(201);
    expect((await call(`${registry.registries.generic}/real/1.0.0/a.bin`, { headers })).text).toBe("real");
  });

  it("accepts duplicates by turning the rejection into 201", async () => {
    registry.setPolicies("generic", { duplicates: "reject" });
    try {
      proxy = await startFaultyProxy({ upstream: registry.url, fault: acceptDuplicates() });
      const res = await call(`${via(proxy)}/pkg/1.0.0/pkg.bin`, { method: "PUT", headers, body: "again" });
      expect(res.status).toBe(201);
      const direct = await call(`${registry.registries.generic}/pkg/1.0.0/pkg.bin`, { method: "PUT", headers, body: "again" });
      expect(direct.status).toBe(400);
      // Other refusals are left alone.
      const readonly = await call(`${via(proxy)}/pkg/9.0.0/pkg.bin`, {
        method: "PUT",
        headers: { "deploy-token": registry.tokens.readonlyDeploy },
        body: "x",
      });
      expect(readonly.status).toBe(403);
    } finally {
      registry.setPolicies("generic", { duplicates: "allow" });
    }
  });

  it("delays matching responses more with every request", async () => {
    const fault = delayResponses({ when: (ex) => ex.method === "GET", stepMs: 5, maxMs: 12 });
    const exchange = (method: string): FaultExchange => ({ method, path: "/x", headers: {}, count: 1 });
    const original = { status: 200, headers: {}, body: Buffer.alloc(0) };
    const delays = ["GET", "PUT", "GET", "GET"].map((m) => fault(exchange(m))?.response?.(original)?.delayMs);
    expect(delays).toEqual([5, undefined, 10, 12]);

    proxy = await startFaultyProxy({ upstream: registry.url, fault: delayResponses({ stepMs: 1 }) });
    for (let i = 0; i < 3; i++) expect((await call(`${via(proxy)}/pkg/1.0.0/pkg.bin`, { headers })).text).toBe(content);
  });

  it("rewrites the upstream origin in bodies so links point at the proxy", async () => {
    proxy = await startFaultyProxy({ upstream: registry.url, fault: () => undefined });
    const body = (await call(`${via(proxy)}/`)).json() as { baseUrl: string };
    expect(body.baseUrl).toBe(via(proxy));
    await proxy.close();
    proxy = await startFaultyProxy({ upstream: registry.url, fault: () => undefined, rewriteOrigin: false });
    expect(((await call(`${via(proxy)}/`)).json() as { baseUrl: string }).baseUrl).toBe(registry.registries.generic);
  });

  it("composes faults and answers 502 when the upstream is unreachable", async () => {
    proxy = await startFaultyProxy({
      upstream: registry.url,
      fault: composeFaults(
        corruptBody({ when: (ex) => ex.path.endsWith("1.1.0/pkg.bin") }),
        mapJson({ map: (doc) => ({ ...(doc as object), tampered: true }) }),
      ),
    });
    expect((await call(`${via(proxy)}/pkg/1.1.0/pkg.bin`, { headers })).text).not.toBe(content);
    expect((await call(`${via(proxy)}/pkg/1.0.0/pkg.bin`, { headers })).text).toBe(content);
    expect((await call(`${via(proxy)}/pkg`, { headers })).json()).toMatchObject({ tampered: true });
    await proxy.close();

    proxy = await startFaultyProxy({ upstream: "http://127.0.0.1:1", fault: () => undefined });
    const res = await call(`${proxy.url}/anything`);
    expect(res.status).toBe(502);
    expect(res.json()).toMatchObject({ message: expect.stringContaining("upstream failed") });
  });
});
