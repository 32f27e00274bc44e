// One test per GitLab PyPI fact (pypiGitLabFacts), each against the reference
// registry: the answer GitLab's source gives is the answer here. Then the
// gitlab profile against the reference under each of its settings.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { request } from "undici";
import { runConformance } from "@regkit/core";
import { buildWheel, normalizeName, pypiGitLabFacts as facts, pypiKit } from "@regkit/pypi";
import { pypiReference } from "@regkit/pypi/reference";
import { createReferenceRegistry, referenceTarget, type ReferenceRegistry } from "@regkit/registry";
import { pinFacts } from "@regkit/core/vitest";

const FLAG = facts.pep691Flag.value.flag;
const JSON_ACCEPT = "application/vnd.pypi.simple.v1+json";

let registry: ReferenceRegistry;
let publicRegistry: ReferenceRegistry;
let pypi: string;

beforeAll(async () => {
  [registry, publicRegistry] = await Promise.all([
    createReferenceRegistry({ formats: [pypiReference] }),
    createReferenceRegistry({ formats: [pypiReference], visibility: "public" }),
  ]);
  pypi = registry.registries.pypi!;
});

afterAll(async () => {
  await Promise.all([registry.close(), publicRegistry.close()]);
});

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | undefined>;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

async function call(url: string, init: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Answer> {
  const res = await request(url, { method: (init.method ?? "GET") as "GET", headers: init.headers ?? {}, body: init.body });
  const text = await res.body.text();
  const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v]));
  return { status: res.statusCode, headers, text, json: <T>() => JSON.parse(text) as T };
}

const basic = (username: string, password: string): string => `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
const personal = (): Record<string, string> => ({ authorization: basic("anyone", registry.tokens.personal) });
const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

interface File {
  readonly filename: string;
  readonly bytes: Buffer;
}

/** A wheel of `name` `version` as bytes. */
async function wheel(name: string, version: string, marker = ""): Promise<File> {
  const built = await buildWheel({ name, version, files: { "marker.txt": Buffer.from(marker) } });
  const chunks: Uint8Array[] = [];
  for await (const chunk of built.content.stream()) chunks.push(chunk);
  return { filename: built.filename, bytes: Buffer.concat(chunks) };
}

/** The legacy upload form, exactly the fields given (undefined: left out), and the file (if any). */
function form(fields: Record<string, string | undefined>, file?: File): { body: Buffer; type: string } {
  const boundary = `----facts${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v !== undefined) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="${file.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`), file.bytes, Buffer.from("\r\n"));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

/**
 * Uploads `file` (a fresh wheel of name/version when left out) with twine's
 * fields, `fields` overriding them (undefined removes one).
 */
async function upload(
  name: string,
  version: string,
  { file, fields = {}, headers = personal(), into = pypi }: { file?: File | null; fields?: Record<string, string | undefined>; headers?: Record<string, string>; into?: string } = {},
): Promise<Answer & { file: File | undefined }> {
  const sent = file === null ? undefined : (file ?? (await wheel(name, version)));
  const all = {
    ":action": "file_upload",
    protocol_version: "1",
    name,
    version,
    filetype: "bdist_wheel",
    pyversion: "py3",
    metadata_version: "2.1",
    sha256_digest: sent ? sha256(sent.bytes) : undefined,
    ...fields,
  };
  const { body, type } = form(all, sent);
  const res = await call(into, { method: "POST", headers: { ...headers, "content-type": type }, body });
  return { ...res, file: sent };
}

const page = (name: string, headers: Record<string, string> = {}, base = pypi): Promise<Answer> => call(`${base}/simple/${name}/`, { headers: { ...personal(), ...headers } });

async function withFlag(on: boolean, run: () => Promise<void>): Promise<void> {
  registry.setFeature(FLAG, on);
  try {
    await run();
  } finally {
    registry.setFeature(FLAG, false);
  }
}

async function listedPackages(name: string): Promise<{ id: number; name: string; version: string }[]> {
  const res = await call(`${registry.url}/api/v4/projects/1/packages?package_type=pypi&package_name=${encodeURIComponent(name)}`, { headers: { "private-token": registry.tokens.personal } });
  expect(res.status).toBe(200);
  return res.json();
}

pinFacts(facts, {
  async uploadStatus(fact) {
    const res = await upload("facts-status", "1.0.0");
    expect(res.status).toBe(fact.value);
    expect(res.json()).toEqual({ message: "201 Created" });
  },
  async uploadFields(fact) {
    const ignored = { ":action": "remove_pkg", filetype: "nonsense", pyversion: "nonsense", protocol_version: "9", blake2_256_digest: "not-a-digest" };
    expect(Object.keys(ignored).sort()).toEqual([...fact.value.ignored].sort());
    expect((await upload("facts-fields", "1.0.0", { fields: ignored })).status).toBe(facts.uploadStatus.value);
    for (const field of fact.value.required) {
      const res = field === "content" ? await upload("facts-fields", "1.0.1", { file: null }) : await upload("facts-fields", "1.0.2", { fields: { [field]: undefined } });
      expect(res.status, field).toBe(fact.value.missingStatus);
      expect(res.json<{ error: string }>().error).toContain(`${field} is missing`);
    }
  },
  async sha256Optional(fact) {
    expect((await upload("facts-nosha", "1.0.0", { fields: { sha256_digest: undefined } })).status).toBe(fact.value.status);
  },
  async sha256Unchecked() {
    const declared = "1".repeat(64);
    const res = await upload("facts-wrongsha", "1.0.0", { fields: { sha256_digest: declared } });
    expect(res.status).toBe(facts.uploadStatus.value);
    const html = (await page("facts-wrongsha")).text;
    const link = `${pypi}/files/${declared}/${res.file!.filename}#sha256=${declared}`;
    expect(html).toContain(`href="${link}"`);
    // The declared digest is the file's stored sha256: the link downloads the bytes.
    const got = await request(link.split("#")[0]!, { headers: personal() });
    expect(Buffer.from(await got.body.arrayBuffer()).equals(res.file!.bytes)).toBe(true);
  },
  async sha256Malformed(fact) {
    const res = await upload("facts-badsha", "1.0.0", { fields: { sha256_digest: "abc" } });
    expect(res.status).toBe(fact.value);
    expect(res.json<{ error: string }>().error).toBe("sha256_digest is invalid");
  },
  async md5Unchecked(fact) {
    expect((await upload("facts-md5", "1.0.0", { fields: { md5_digest: "0".repeat(32) } })).status).toBe(fact.value);
  },
  async fileNameUnchecked(fact) {
    const file = { ...(await wheel("facts-fname", "1.0.0")), filename: "something-else-9.9.tar.gz" };
    expect((await upload("facts-fname", "1.0.0", { file })).status).toBe(fact.value);
    expect((await page("facts-fname")).text).toContain(">something-else-9.9.tar.gz</a>");
  },
  async nameRule(fact) {
    // PEP 508 refuses `-odd_`; GitLab's package_name_regex does not.
    expect(fact.value.pattern.test("-odd_")).toBe(true);
    expect((await upload("-odd_", "1.0.0")).status).toBe(facts.uploadStatus.value);
    for (const name of ["bad name", "bang!", "a+b"]) {
      const res = await upload(name, "1.0.0");
      expect(res.status, name).toBe(fact.value.status);
      expect(res.json<{ message: string }>().message).toBe("400 Bad request - Validation failed: Name is invalid");
    }
  },
  async versionRule(fact) {
    for (const version of ["v1.0", "1.0+local.7", "2!1.0.post1.dev2", "1.0-1", "1.0RC1"]) {
      expect((await upload("facts-version", version)).status, version).toBe(facts.uploadStatus.value);
    }
    for (const version of ["1.0-foo", "not.a.version", ""]) {
      expect((await upload("facts-version", version)).status, version).toBe(fact.value.status);
    }
  },
  async requiresPythonMax(fact) {
    expect((await upload("facts-rp", "1.0.0", { fields: { requires_python: ">=".padEnd(fact.value, "3") } })).status).toBe(facts.uploadStatus.value);
    expect((await upload("facts-rp", "1.0.1", { fields: { requires_python: ">=".padEnd(fact.value + 1, "3") } })).status).toBe(400);
  },
  async maxFileSize(fact) {
    const res = await call(`${registry.url}/api/v4/application/plan_limits`, { headers: { "private-token": registry.tokens.personal } });
    expect(res.status).toBe(200);
    expect(res.json().pypi_max_file_size).toBe(fact.value);
    expect(registry.settings("pypi").limits.maxFileSize).toBe(fact.value);
  },
  async fileTooLarge(fact) {
    registry.setLimits("pypi", { maxFileSize: 1000 });
    try {
      const file = { filename: "facts_big-1.0.0-py3-none-any.whl", bytes: Buffer.alloc(2000, 7) };
      const res = await upload("facts-big", "1.0.0", { file });
      expect(res.status).toBe(fact.value.status);
      expect(res.json()).toEqual({ message: fact.value.message });
    } finally {
      registry.setLimits("pypi", { maxFileSize: facts.maxFileSize.value });
    }
    expect((await page("facts-big")).status).toBe(404);
  },
  async duplicateFile(fact) {
    const file = await wheel("facts-dup", "1.0.0");
    expect((await upload("facts-dup", "1.0.0", { file })).status).toBe(facts.uploadStatus.value);
    const again = await upload("facts-dup", "1.0.0", { file: await wheel("facts-dup", "1.0.0", "other bytes") });
    expect(again.status).toBe(fact.value.status);
    expect(again.json()).toEqual({ message: fact.value.message });
    expect(registry.settings("pypi").policies).toMatchObject({ duplicates: fact.value.policy, duplicateStatus: [fact.value.status] });
  },
  async newFileSameVersion(fact) {
    const first = await wheel("facts-two", "1.0.0");
    expect((await upload("facts-two", "1.0.0", { file: first })).status).toBe(fact.value);
    expect((await upload("facts-two", "1.0.0", { file: { filename: "facts_two-1.0.0.tar.gz", bytes: Buffer.from("sdist") } })).status).toBe(fact.value);
    const html = (await page("facts-two")).text;
    expect(html).toContain(`>${first.filename}</a>`);
    expect(html).toContain(">facts_two-1.0.0.tar.gz</a>");
  },
  async metadataPerVersion() {
    await upload("facts-meta", "1.0.0", { fields: { requires_python: ">=3.8" } });
    await upload("facts-meta", "1.0.0", { file: { filename: "facts_meta-1.0.0.tar.gz", bytes: Buffer.from("sdist") }, fields: { requires_python: ">=3.9" } });
    const html = (await page("facts-meta")).text;
    expect(html.match(/data-requires-python="([^"]*)"/g)).toEqual(['data-requires-python="&gt;=3.9"', 'data-requires-python="&gt;=3.9"']);
  },
  async simpleHtml(fact) {
    await upload("facts-html-only", "1.0.0");
    for (const accept of [JSON_ACCEPT, "application/vnd.pypi.simple.latest+json", "text/html", "image/png"]) {
      const res = await page("facts-html-only", { accept });
      expect(res.status, accept).toBe(200);
      expect(res.headers["content-type"], accept).toBe(fact.value.contentType);
      expect(res.headers.vary, accept).toBeUndefined();
      expect(res.text).toMatch(/^<!DOCTYPE html>/);
    }
    expect((await call(`${pypi}/simple`, { headers: { ...personal(), accept: JSON_ACCEPT } })).headers["content-type"]).toBe(fact.value.contentType);
  },
  async pep691Flag(fact) {
    await upload("facts-flag", "1.0.0");
    expect(registry.features()[fact.value.flag] ?? false).toBe(fact.value.default);
    const type = async (): Promise<string | undefined> => (await page("facts-flag", { accept: JSON_ACCEPT })).headers["content-type"];
    expect(await type()).toBe(facts.simpleHtml.value.contentType);
    // GitLab's admin Features API (Grape reads `value` from the query as from the body).
    const set = async (value: boolean): Promise<number> =>
      (await call(`${registry.url}/api/v4/features/${fact.value.flag}?value=${value}`, { method: "POST", headers: { "private-token": registry.tokens.personal } })).status;
    try {
      expect(await set(true)).toBe(201);
      expect(await type()).toBe(facts.pep691Negotiation.value.jsonContentType);
    } finally {
      registry.setFeature(fact.value.flag, false);
    }
    expect(await set(false)).toBe(201);
    expect(await type()).toBe(facts.simpleHtml.value.contentType);
  },
  async pep691Negotiation(fact) {
    await upload("facts-negotiate", "1.0.0");
    await withFlag(true, async () => {
      const cases: [string, string][] = [
        [`${JSON_ACCEPT};q=0`, fact.value.jsonContentType],
        ["text/html, application/vnd.pypi.simple.latest+json;q=0.1", fact.value.jsonContentType],
        ["application/vnd.pypi.simple.v1+html", fact.value.htmlContentType],
        ["text/html", fact.value.htmlContentType],
        ["image/png", fact.value.htmlContentType],
      ];
      for (const [accept, type] of cases) {
        const res = await page("facts-negotiate", { accept });
        expect(res.status, accept).toBe(200);
        expect(res.headers["content-type"], accept).toBe(type);
        expect(res.headers.vary, accept).toBe(fact.value.vary);
      }
      const list = await call(`${pypi}/simple`, { headers: { ...personal(), accept: JSON_ACCEPT } });
      expect(list.headers["content-type"]).toBe(fact.value.jsonContentType);
      expect(list.headers.vary).toBe(fact.value.vary);
    });
  },
  async htmlProjectPage() {
    const res = await upload("Facts.Html_Page", "1.0.0");
    const digest = sha256(res.file!.bytes);
    const html = (await page("facts-html-page")).text;
    expect(html).toContain("<title>Links for Facts.Html_Page</title>");
    expect(html).toContain("<h1>Links for Facts.Html_Page</h1>");
    expect(html).toContain(`<a href="${pypi}/files/${digest}/${res.file!.filename}#sha256=${digest}" data-requires-python="">${res.file!.filename}</a>`);
    expect(html).not.toContain("<br");
    expect(html).not.toContain("pypi:repository-version");
  },
  async jsonProjectPage() {
    const blank = await upload("Facts.Json_Page", "1.0.0");
    const withRp = await upload("Facts.Json_Page", "2.0.0", { fields: { requires_python: ">=3.8" } });
    await withFlag(true, async () => {
      const doc = (await page("facts-json-page", { accept: JSON_ACCEPT })).json<{ meta: unknown; name: string; files: Record<string, unknown>[] }>();
      expect(doc.meta).toEqual({ "api-version": "1.0" });
      expect(doc.name).toBe("facts-json-page");
      const [first, second] = doc.files;
      const digest = sha256(blank.file!.bytes);
      expect(first).toEqual({ filename: blank.file!.filename, url: `${pypi}/files/${digest}/${blank.file!.filename}#sha256=${digest}`, hashes: { sha256: digest } });
      expect(second).toMatchObject({ filename: withRp.file!.filename, "requires-python": ">=3.8" });
      expect(second).not.toHaveProperty("yanked");
    });
  },
  async indexPage() {
    await upload("Facts.Index", "1.0.0");
    await upload("Facts.Index", "2.0.0");
    const html = (await call(`${pypi}/simple`, { headers: personal() })).text;
    const anchors = [...html.matchAll(/<a href="([^"]*)" data-requires-python="[^"]*">Facts\.Index<\/a>/g)];
    expect(anchors.map((a) => a[1])).toEqual([`${pypi}/simple/facts-index`, `${pypi}/simple/facts-index`]);
    expect(html).toContain("<title>Links for demo</title>");
    await withFlag(true, async () => {
      const { projects } = (await call(`${pypi}/simple`, { headers: { ...personal(), accept: JSON_ACCEPT } })).json<{ projects: { name: string }[] }>();
      const names = projects.map((p) => p.name);
      expect(names.filter((n) => n === "facts-index")).toHaveLength(1);
      expect(names).toEqual([...new Set(names)].sort());
      expect(names.every((n) => n === normalizeName(n))).toBe(true);
    });
  },
  async nameLookup(fact) {
    expect(fact.value).toEqual({ request: "lowercased", redirect: false });
    await upload("Facts.Lookup_Name", "1.0.0");
    for (const spelling of ["facts-lookup-name", "FACTS-LOOKUP-NAME", "Facts-Lookup-Name"]) expect((await page(spelling)).status, spelling).toBe(200);
    for (const spelling of ["facts.lookup_name", "Facts.Lookup_Name", "facts_lookup_name", "facts--lookup-name"]) {
      const res = await page(spelling);
      expect(res.status, spelling).toBe(facts.unknownPackage.value.status);
      expect(res.headers.location, spelling).toBeUndefined();
    }
  },
  async unknownPackage(fact) {
    const res = await page("facts-no-such-package");
    expect(res.status).toBe(fact.value.status);
    expect(res.json()).toEqual({ message: fact.value.message });
  },
  async levels(fact) {
    expect(fact.value).toEqual({ read: ["project", "group"], upload: ["project"] });
    await upload("facts-levels", "1.0.0");
    expect((await page("facts-levels", {}, registry.groupRegistries.pypi!)).status).toBe(200);
    expect((await call(`${registry.groupRegistries.pypi!}/simple`, { headers: personal() })).status).toBe(200);
    expect((await upload("facts-levels", "1.0.1", { into: registry.groupRegistries.pypi! })).status).toBe(404);
    expect((await page("facts-levels", {}, registry.instanceRegistries.pypi!)).status).toBe(404);
    expect((await call(`${registry.instanceRegistries.pypi!}/simple`, { headers: personal() })).status).toBe(404);
  },
  async download(fact) {
    const res = await upload("facts-download", "1.0.0");
    const digest = sha256(res.file!.bytes);
    const got = await call(`${pypi}/files/${digest}/${res.file!.filename}`, { headers: personal() });
    expect(got.status).toBe(200);
    for (const url of [`${pypi}/files/${"2".repeat(64)}/${res.file!.filename}`, `${pypi}/files/${digest}/other-1.0.0-py3-none-any.whl`]) {
      const miss = await call(url, { headers: personal() });
      expect(miss.status, url).toBe(fact.value.status);
      expect(miss.json()).toEqual({ message: fact.value.message });
    }
    // Found by file name and sha256, whatever the project name: a file named unlike its project.
    const odd = await upload("facts-download", "1.0.1", { file: { filename: "notes.bin", bytes: Buffer.from("odd") } });
    expect(odd.status).toBe(facts.uploadStatus.value);
    expect((await call(`${pypi}/files/${sha256(Buffer.from("odd"))}/notes.bin`, { headers: personal() })).text).toBe("odd");
  },
  async credentials(fact) {
    expect(fact.value).toEqual({ accepted: ["basic", "bearer", "private-token", "deploy-token"], ignored: ["job-token"] });
    await upload("facts-creds", "1.0.0");
    const t = registry.tokens;
    const ok: Record<string, string>[] = [
      { authorization: basic("whoever", t.personal) },
      { authorization: basic("whoever", t.deploy) },
      { authorization: basic("gitlab-ci-token", t.job) },
      { authorization: `Bearer ${t.personal}` },
      { authorization: `Bearer ${t.deploy}` },
      { authorization: `Bearer ${t.job}` },
      { "private-token": t.personal },
      { "deploy-token": t.deploy },
    ];
    for (const headers of ok) expect((await call(`${pypi}/simple/facts-creds/`, { headers })).status, Object.keys(headers)[0]).toBe(200);
    // The JOB-TOKEN header is not read: the caller is anonymous.
    const viaHeader = await call(`${pypi}/simple/facts-creds/`, { headers: { "job-token": t.job } });
    expect(viaHeader.status).toBe(401);
    expect(viaHeader.headers["www-authenticate"]).toBe('Basic realm="GitLab Packages Registry"');
    expect((await upload("facts-creds", "1.0.1", { headers: { "job-token": t.job } })).status).toBe(401);
    expect((await upload("facts-creds", "1.0.2", { headers: { authorization: basic("gitlab-ci-token", t.job) } })).status).toBe(facts.uploadStatus.value);
  },
  async publicProject(fact) {
    const pub = publicRegistry.registries.pypi!;
    const res = await upload("facts-public", "1.0.0", { into: pub, headers: { authorization: basic("x", publicRegistry.tokens.personal) } });
    expect(res.status).toBe(facts.uploadStatus.value);
    const readers: Record<string, string>[] = [{}, { authorization: basic("x", "glpat-nobody") }, { "job-token": publicRegistry.tokens.job }];
    for (const headers of readers) {
      expect((await call(`${pub}/simple/facts-public/`, { headers })).status, JSON.stringify(Object.keys(headers))).toBe(fact.value.anonymousRead);
    }
    expect((await call(`${pub}/files/${sha256(res.file!.bytes)}/${res.file!.filename}`)).status).toBe(fact.value.anonymousRead);
    expect((await upload("facts-public", "1.0.1", { into: pub, headers: {} })).status).toBe(fact.value.anonymousUpload);
    expect((await upload("facts-public", "1.0.2", { into: pub, headers: { authorization: basic("x", "glpat-nobody") } })).status).toBe(fact.value.anonymousUpload);
  },
  async uploadPermission(fact) {
    expect((await upload("facts-perm", "1.0.0", { headers: { authorization: basic("x", registry.tokens.readonlyDeploy) } })).status).toBe(fact.value.readOnly);
    expect((await upload("facts-perm", "1.0.1", { headers: { authorization: basic("x", registry.tokens.developer) } })).status).toBe(facts.uploadStatus.value);
    expect((await upload("facts-perm", "1.0.2", { headers: { authorization: basic("x", registry.tokens.deploy) } })).status).toBe(facts.uploadStatus.value);
  },
  async noDelete(fact) {
    await upload("facts-delete", "1.0.0");
    for (const path of ["/simple/facts-delete", "/simple/facts-delete/", ""]) {
      expect([404, 405], path).toContain((await call(`${pypi}${path}`, { method: "DELETE", headers: personal() })).status);
    }
    const [listed] = await listedPackages("facts-delete");
    expect(listed).toBeDefined();
    const url = `${registry.url}/api/v4/projects/1/packages/${listed!.id}`;
    expect((await call(url, { method: "DELETE", headers: { "private-token": registry.tokens.developer } })).status).toBe(fact.value.developerStatus);
    expect((await call(url, { method: "DELETE", headers: { "private-token": registry.tokens.personal } })).status).toBe(204);
    expect(await listedPackages("facts-delete")).toEqual([]);
  },
  async listedName(fact) {
    expect(fact.value).toBe("as uploaded");
    await upload("Facts.Listed_Name", "1.0.0");
    expect((await listedPackages("listed")).map((p) => p.name)).toEqual(["Facts.Listed_Name"]);
  },
});

describe("the gitlab profile against the reference, per setting", () => {
  // metadata.versions and pull.duplicate read every file of a version through
  // `files` and `downloadFile`, from the HTML page or, with pep691Json, the JSON one.
  const scenarios = ["auth.matrix", "push.small", "pull.package", "pull.duplicate", "metadata.versions", "pypi.hashes", "pypi.content-negotiation", "pypi.normalization"];

  test.each([
    { visibility: "private", pep691Json: false },
    { visibility: "private", pep691Json: true },
    { visibility: "public", pep691Json: false },
    { visibility: "public", pep691Json: true },
  ] as const)("visibility=$visibility pep691Json=$pep691Json: no failure", { timeout: 180_000 }, async (settings) => {
    const target = settings.visibility === "public" ? publicRegistry : registry;
    target.setFeature(FLAG, settings.pep691Json);
    try {
      const report = await runConformance({ kit: pypiKit, target: referenceTarget(target, "pypi", { settings, options: { numRuns: 2 } }), scenarios, seed: 7 });
      const bad = report.results.filter((r) => r.status === "fail" || r.status === "error");
      expect(bad.map((r) => `${r.scenario}/${r.tokenKind}: ${r.message}`)).toEqual([]);
      expect(report.settings).toMatchObject(settings);
      // GitLab's lookup of other spellings is the recorded deviation, under every setting.
      expect(report.results.filter((r) => r.scenario === "pypi.normalization").every((r) => r.status === "deviation")).toBe(true);
      if (settings.visibility === "public") expect(report.results.find((r) => r.scenario === "auth.matrix" && r.tokenKind === "anonymous")?.status).toBe("pass");
    } finally {
      target.setFeature(FLAG, false);
    }
  });

  test("a setting that does not match the registry fails: visibility=private against a public project", { timeout: 120_000 }, async () => {
    const report = await runConformance({ kit: pypiKit, target: referenceTarget(publicRegistry, "pypi"), scenarios: ["auth.matrix"], tokenKinds: ["anonymous", "invalid"], seed: 7 });
    for (const kind of ["anonymous", "invalid"]) {
      const r = report.results.find((x) => x.tokenKind === kind);
      expect(r?.status, kind).toBe("fail");
      expect(r?.message).toMatch(/succeeded/);
    }
  });
});
