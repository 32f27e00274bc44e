// The runner's recording proxy in front of a registry that uses the token
// flow: a realm on the registry's own origin is pointed at the proxy (so the
// client's token requests are recorded too), a realm elsewhere is left alone,
// and the evidence keeps the challenge the registry sent.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startRecordingProxy, type Exchange } from "@regkit/core";

let server: Server;
let origin: string;
const ELSEWHERE = "http://localhost:1/token";

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/jwt/auth") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: "t" }));
    } else if (url.pathname === "/v2/") {
      res.writeHead(401, { "www-authenticate": `Bearer realm="${origin}/jwt/auth",service="container_registry"`, "content-type": "application/json" }).end("{}");
    } else if (url.pathname === "/v2/elsewhere/tags/list") {
      res.writeHead(401, { "www-authenticate": `Bearer realm="${ELSEWHERE}",service="s",scope="repository:elsewhere:pull"` }).end();
    } else {
      // An origin that only starts like the registry's (another port's prefix) is not the registry's.
      res.writeHead(401, { "www-authenticate": `Bearer realm="${origin}0/jwt/auth",service="s"` }).end();
    }
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((done) => server.close(() => done()));
});

describe("the recording proxy and WWW-Authenticate", () => {
  test("a realm on the registry's origin is rewritten to the proxy and its requests are recorded; others stay as sent", async () => {
    const recorded: Exchange[] = [];
    const proxy = await startRecordingProxy({ registry: `${origin}/`, record: (e) => recorded.push(e), secrets: [], via: "tool" });
    try {
      const proxyOrigin = new URL(proxy.url).origin;
      const challenge = await fetch(`${proxyOrigin}/v2/`);
      await challenge.arrayBuffer();
      expect(challenge.status).toBe(401);
      expect(challenge.headers.get("www-authenticate")).toBe(`Bearer realm="${proxyOrigin}/jwt/auth",service="container_registry"`);
      // The client follows the rewritten realm: through the proxy, recorded.
      const token = await fetch(`${proxyOrigin}/jwt/auth?service=container_registry`);
      expect(await token.json()).toEqual({ token: "t" });
      expect(recorded.map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual(["GET /v2/ 401", "GET /jwt/auth?service=container_registry 200"]);
      // The evidence says what the registry sent.
      expect(recorded[0]!.responseHeaders["www-authenticate"]).toBe(`Bearer realm="${origin}/jwt/auth",service="container_registry"`);

      const elsewhere = await fetch(`${proxyOrigin}/v2/elsewhere/tags/list`);
      await elsewhere.arrayBuffer();
      expect(elsewhere.headers.get("www-authenticate")).toBe(`Bearer realm="${ELSEWHERE}",service="s",scope="repository:elsewhere:pull"`);
      const lookalike = await fetch(`${proxyOrigin}/v2/other/tags/list`);
      await lookalike.arrayBuffer();
      expect(lookalike.headers.get("www-authenticate")).toBe(`Bearer realm="${origin}0/jwt/auth",service="s"`);
    } finally {
      await proxy.close();
    }
  });
});
