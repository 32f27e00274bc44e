import type { ReferenceRegistry } from "@regkit/registry";
import { Client } from "undici";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { basic, call, startRegistry } from "./helpers.js";

let registry: ReferenceRegistry;
let generic: string;
let client: Client;
const logLines: string[] = [];

beforeAll(async () => {
  registry = await startRegistry({ log: (line) => logLines.push(line) });
  generic = registry.registries.generic!;
  client = new Client(registry.url);
});

afterAll(async () => {
  await client.close();
  await registry.close();
});

/** Sends `path` byte for byte (undici's Client does not normalize it). */
async function raw(path: string, method: "GET" | "PUT" = "GET"): Promise<{ status: number; body: string }> {
  const res = await client.request({
    path,
    method,
    headers: { "private-token": registry.tokens.personal },
    body: method === "PUT" ? "x" : undefined,
  });
  return { status: res.statusCode, body: await res.body.text() };
}

describe("path guard", () => {
  const prefix = "/api/v4/projects/1/packages/generic";
  it.each([
    `${prefix}/../../../etc/passwd`,
    `${prefix}/pkg/../1.0.0/a.txt`,
    `${prefix}/pkg/%2e%2e/a.txt`,
    `${prefix}/pkg/%2E%2E/a.txt`,
    `${prefix}/pkg/..%2f..%2fetc/a.txt`,
    `${prefix}/pkg/%252e%252e/a.txt`,
    `${prefix}/pkg/1.0.0/.`,
    `${prefix}/pkg/1.0.0/a%5c..%5cb`,
    `${prefix}/pkg/1.0.0/a\\b`,
    `${prefix}/pkg/1.0.0/a%00.txt`,
    `${prefix}/pkg/1.0.0/%zz`,
  ])("refuses %s with 400", async (path) => {
    for (const method of ["GET", "PUT"] as const) {
      const res = await raw(path, method);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).message).toMatch(/^400 Bad request/);
    }
  });

  it("lets dots inside names through", async () => {
    const put = await raw(`${prefix}/dots/1.0.0/..hidden..tar.gz`, "PUT");
    expect(put.status).toBe(201);
  });
});

describe("router", () => {
  it("answers unknown routes with a JSON 404", async () => {
    for (const path of ["/nothing", "/api/v4/projects/1/packages/unknown/x", `${new URL(generic).pathname}/a/b/c/d/e`]) {
      const res = await call(`${registry.url}${path}`, { headers: { "private-token": registry.tokens.personal } });
      expect(res.status).toBe(404);
      expect(res.headers["content-type"]).toBe("application/json");
      expect(res.json()).toEqual({ message: "404 Not Found" });
    }
  });

  it("answers a wrong method on a known path with 405 and Allow", async () => {
    const res = await call(`${generic}/pkg/1.0.0/a.txt`, { method: "POST", headers: { "private-token": registry.tokens.personal } });
    expect(res.status).toBe(405);
    expect(res.headers.allow?.split(", ").sort()).toEqual(["GET", "PUT"]);
  });

  it("decodes params and rest params", async () => {
    expect((await call(`${generic}/echo/@scope%2fname`)).json()).toEqual({ name: "@scope/name" });
    expect((await call(`${generic}/echo/a%20b+c`)).json()).toEqual({ name: "a b+c" });
    expect((await call(`${generic}/files/com/example/lib/lib-1.0.jar`)).json()).toEqual({
      path: "com/example/lib",
      file: "lib-1.0.jar",
    });
    // A trailing slash that matches nothing falls back to the path without it.
    expect((await call(`${generic}/echo/x/`)).json()).toEqual({ name: "x" });
  });

  it("turns a ReferenceHttpError into its status and message", async () => {
    const res = await call(`${generic}/teapot`, { headers: { "private-token": registry.tokens.personal } });
    expect(res.status).toBe(418);
    expect(res.json()).toEqual({ message: "I'm a teapot" });
  });

  it("turns any other exception into a bare 500 and a log line", async () => {
    const spy = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const res = await call(`${generic}/boom`, { headers: { "private-token": registry.tokens.personal } });
      expect(res.status).toBe(500);
      expect(res.json()).toEqual({ message: "500 Internal Server Error" });
      expect(res.text).not.toContain("kaboom");
      const logged = spy.mock.calls.map((c) => String(c[0])).join("");
      expect(logged).toContain("kaboom: internal detail");
      expect(logged).not.toContain(registry.tokens.personal);
    } finally {
      spy.mockRestore();
    }
  });

  it("answers HEAD from the GET route, headers only", async () => {
    const headers = { "private-token": registry.tokens.personal };
    await call(`${generic}/head/1.0.0/f.txt`, { method: "PUT", headers, body: "twelve bytes" });
    const res = await call(`${generic}/head/1.0.0/f.txt`, { method: "HEAD", headers });
    expect(res.status).toBe(200);
    expect(res.headers["content-length"]).toBe("12");
    expect(res.text).toBe("");
  });

  it("logs one line per request without tokens or queries", async () => {
    logLines.length = 0;
    await call(`${generic}/pkg/1.0.0/a.txt?private_token=${registry.tokens.personal}`, {
      headers: { authorization: basic("me", registry.tokens.personal) },
    });
    await vi.waitFor(() => expect(logLines.length).toBeGreaterThan(0));
    const [line] = logLines;
    expect(line).toMatch(/^GET \/api\/v4\/projects\/1\/packages\/generic\/pkg\/1\.0\.0\/a\.txt 404 \d+ms$/);
    expect(logLines.join("\n")).not.toContain(registry.tokens.personal);
  });
});

describe("settings endpoints", () => {
  const admin = () => ({ "private-token": registry.tokens.personal });

  it("reads and changes plan limits the GitLab way", async () => {
    const limits = `${registry.url}/api/v4/application/plan_limits`;
    const before = await call(limits, { headers: admin() });
    expect(before.status).toBe(200);
    expect(before.json()).toEqual({ generic_max_file_size: 0, tokenish_max_file_size: 0 });

    const put = await call(`${limits}?plan_name=default&generic_max_file_size=10`, { method: "PUT", headers: admin() });
    expect(put.status).toBe(200);
    expect(put.json()).toMatchObject({ generic_max_file_size: 10 });
    expect(registry.settings("generic").limits.maxFileSize).toBe(10);

    const tooBig = await call(`${generic}/limited/1.0.0/f.bin`, { method: "PUT", headers: admin(), body: "eleven byte" });
    expect(tooBig.status).toBe(413);
    const fits = await call(`${generic}/limited/1.0.0/f.bin`, { method: "PUT", headers: admin(), body: "ten bytes!" });
    expect(fits.status).toBe(201);

    // A JSON body works too (GitLab's API takes parameters either way).
    const json = await call(limits, {
      method: "PUT",
      headers: { ...admin(), "content-type": "application/json" },
      body: JSON.stringify({ plan_name: "default", generic_max_file_size: 0 }),
    });
    expect(json.json()).toMatchObject({ generic_max_file_size: 0 });
  });

  it("guards plan limits", async () => {
    const limits = `${registry.url}/api/v4/application/plan_limits`;
    expect((await call(limits)).status).toBe(401);
    expect((await call(limits, { headers: { "private-token": "nope" } })).status).toBe(401);
    // Deploy tokens and Basic are not read on the admin API: anonymous.
    expect((await call(limits, { headers: { "deploy-token": registry.tokens.deploy } })).status).toBe(401);
    expect((await call(limits, { headers: { authorization: `Basic ${Buffer.from(`x:${registry.tokens.personal}`).toString("base64")}` } })).status).toBe(401);
    expect((await call(limits, { headers: { "private-token": registry.tokens.other.personal } })).status).toBe(403);
    const bad = await call(`${limits}?plan_name=default&generic_max_file_size=-1`, { method: "PUT", headers: admin() });
    expect(bad.status).toBe(400);
    const noPlan = await call(`${limits}?generic_max_file_size=5`, { method: "PUT", headers: admin() });
    expect(noPlan.status).toBe(400);
    expect(registry.settings("generic").limits.maxFileSize).toBe(0);
  });

  it("switches duplicates through GitLab's GraphQL mutation, for the formats GitLab has the setting for", async () => {
    const graphql = `${registry.url}/api/graphql`;
    const headers = { ...admin(), "content-type": "application/json" };
    const mutate = (input: string) =>
      call(graphql, { method: "POST", headers, body: JSON.stringify({ query: `mutation { updateNamespacePackageSettings(input: { namespacePath: "regkit", ${input} }) { packageSettings { genericDuplicatesAllowed } errors } }` }) });
    await call(`${generic}/dup/1.0.0/f.bin`, { method: "PUT", headers: admin(), body: "one" });

    const off = await mutate("genericDuplicatesAllowed: false");
    expect(off.status).toBe(200);
    expect(off.json()).toEqual({ data: { updateNamespacePackageSettings: { packageSettings: { genericDuplicatesAllowed: false }, errors: [] } } });
    const rejected = await call(`${generic}/dup/1.0.0/f.bin`, { method: "PUT", headers: admin(), body: "two" });
    expect(rejected.status).toBe(400);
    expect((await call(`${generic}/dup/1.0.0/f.bin`, { headers: admin() })).text).toBe("one");

    // The same through variables, as GraphQL clients send it.
    const on = await call(graphql, {
      method: "POST",
      headers,
      body: JSON.stringify({ query: "mutation($input: UpdateNamespacePackageSettingsInput!) { updateNamespacePackageSettings(input: $input) { errors } }", variables: { input: { namespacePath: "regkit", genericDuplicatesAllowed: true } } }),
    });
    expect(on.status).toBe(200);
    expect((await call(`${generic}/dup/1.0.0/f.bin`, { method: "PUT", headers: admin(), body: "three" })).status).toBe(201);
    expect((await call(`${generic}/dup/1.0.0/f.bin`, { headers: admin() })).text).toBe("three");

    // GitLab has no such setting for this format: the input field is refused, nothing changes.
    const unknown = await mutate("tokenishDuplicatesAllowed: false");
    expect((unknown.json() as { errors?: unknown[] }).errors).toHaveLength(1);
    expect(registry.settings("tokenish").policies.duplicates).toBe("allow");
    expect((await call(graphql, { method: "POST", headers: { "job-token": registry.tokens.job, "content-type": "application/json" }, body: "{}" })).status).toBe(401);
    expect((await call(graphql, { method: "POST", headers: { "private-token": registry.tokens.developer, "content-type": "application/json" }, body: "{}" })).status).toBe(403);
    expect((await call(graphql, { method: "POST" })).status).toBe(401);
    expect(registry.settings("generic").policies.duplicates).toBe("allow");
  });
});
