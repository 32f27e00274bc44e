// The reference registry's Helm routes beyond the GitLab facts: channels kept
// apart, an upload's Chart.yaml fields in the index, what the reference does
// differently from GitLab on purpose, and `regkit serve` announcing the endpoint.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type ReferenceRegistry, createReferenceRegistry } from "@regkit/registry";
import { afterAll, beforeAll, expect, test } from "vitest";
import { buildChart, parseIndex } from "@regkit/helm";
import { helmReference } from "@regkit/helm/reference";

let registry: ReferenceRegistry;
beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [helmReference] });
});
afterAll(async () => {
  await registry?.close();
});

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });

async function upload(channel: string, bytes: Uint8Array, headers = basic("x", registry.tokens.personal)) {
  const form = new FormData();
  form.set("chart", new Blob([bytes]), "chart.tgz");
  return fetch(`${registry.registries.helm}/api/${channel}/charts`, { method: "POST", body: form, headers });
}

async function index(channel: string) {
  const res = await fetch(`${registry.registries.helm}/${channel}/index.yaml`, { headers: basic("x", registry.tokens.personal) });
  return parseIndex(await res.text());
}

test("a chart uploaded to one channel is in that channel only, and the same version may live in two", async () => {
  const a = await buildChart({ name: "ref-chan", version: "1.0.0", files: { "a.txt": new Uint8Array([1]) } });
  const b = await buildChart({ name: "ref-chan", version: "1.0.0", files: { "b.txt": new Uint8Array([2]) } });
  expect((await upload("alpha", a.content.bytes!)).status).toBe(201);
  expect((await upload("beta", b.content.bytes!)).status).toBe(201);
  expect((await index("alpha")).entries.get("ref-chan")?.[0]?.digest).toBe(a.content.digests.sha256);
  expect((await index("beta")).entries.get("ref-chan")?.[0]?.digest).toBe(b.content.digests.sha256);
  expect((await index("gamma")).entries.has("ref-chan")).toBe(false);
  const got = await fetch(`${registry.registries.helm}/alpha/charts/ref-chan-1.0.0.tgz`, { headers: basic("x", registry.tokens.personal) });
  expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.from(a.content.bytes!))).toBe(true);
});

test("the index carries Chart.yaml as uploaded: dependencies, keywords, appVersion", async () => {
  const chart = await buildChart({ name: "ref-meta", version: "0.1.0-rc.1" }, { appVersion: "1.16", keywords: ["db"], dependencies: [{ name: "common", version: "^2.0.0", repository: "@bitnami" }] });
  await upload("stable", chart.content.bytes!);
  const res = await fetch(`${registry.registries.helm}/stable/index.yaml`, { headers: basic("x", registry.tokens.personal) });
  const text = await res.text();
  expect(text.startsWith("---\n")).toBe(true);
  const entry = parseIndex(text).entries.get("ref-meta")?.[0];
  expect(entry).toMatchObject({ version: "0.1.0-rc.1", appVersion: "1.16", keywords: ["db"], urls: ["charts/ref-meta-0.1.0-rc.1.tgz"] });
  expect(text).toMatch(/repository: "?@bitnami"?/);
});

test("as GitLab's TokenResolver: a job token under any Basic username, and an unknown password is a 401", async () => {
  const chart = await buildChart({ name: "ref-job", version: "1.0.0" });
  expect((await upload("stable", chart.content.bytes!, basic("gitlab-ci-token", registry.tokens.job))).status).toBe(201);
  const again = await buildChart({ name: "ref-job", version: "1.0.1" });
  expect((await upload("stable", again.content.bytes!, basic("someone", registry.tokens.job))).status).toBe(201);
  expect((await upload("stable", again.content.bytes!, basic("someone", "not-a-token-of-this-registry"))).status).toBe(401);
});

test("regkit serve announces the Helm endpoint in its JSON line (registries.helm)", async () => {
  const bin = fileURLToPath(new URL("../../cli/dist/bin.js", import.meta.url));
  const child = spawn(process.execPath, [bin, "serve", "--port", "0"], { stdio: ["ignore", "pipe", "ignore"] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("regkit serve printed nothing within 20 s")), 20_000);
      createInterface({ input: child.stdout }).once("line", (l) => {
        clearTimeout(timer);
        resolve(l);
      });
      child.once("error", reject);
    });
    const announced = JSON.parse(line) as { url: string; registries: Record<string, string>; formats: Record<string, { maxFileSize: number; duplicates: string }> };
    expect(announced.registries.helm).toBe(`${announced.url}/api/v4/projects/1/packages/helm`);
    expect(announced.formats.helm).toEqual({ maxFileSize: 5 * 1024 * 1024, duplicates: "allow" });
  } finally {
    child.kill("SIGTERM");
  }
}, 30_000);

test("a registry set to refuse duplicates (GitLab has no such setting) refuses a chart file the channel holds with 409, keeping the first", async () => {
  const strict = await createReferenceRegistry({ formats: [helmReference], policies: { helm: { duplicates: "reject" } } });
  try {
    const headers = basic("x", strict.tokens.personal);
    const send = async (bytes: Uint8Array, channel = "stable") => {
      const form = new FormData();
      form.set("chart", new Blob([bytes]), "chart.tgz");
      return fetch(`${strict.registries.helm}/api/${channel}/charts`, { method: "POST", body: form, headers });
    };
    const first = await buildChart({ name: "ref-dup", version: "1.0.0", files: { "a.txt": new Uint8Array([1]) } });
    const second = await buildChart({ name: "ref-dup", version: "1.0.0", files: { "a.txt": new Uint8Array([2]) } });
    expect((await send(first.content.bytes!)).status).toBe(201);
    const refused = await send(second.content.bytes!);
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({ error: "file already exists" });
    // Another channel is another file.
    expect((await send(second.content.bytes!, "other")).status).toBe(201);
    const res = await fetch(`${strict.registries.helm}/stable/index.yaml`, { headers });
    expect(parseIndex(await res.text()).entries.get("ref-dup")?.[0]?.digest).toBe(first.content.digests.sha256);
  } finally {
    await strict.close();
  }
});
