// One test per GitLab fact of the Maven kit (mavenGitLabFacts), each against
// the reference registry: the answer GitLab's source gives is the answer here.
// Then the gitlab profiles against the reference under each of their settings,
// and the recorded deviation (FIPS mode) seen and gone.
import { createHash } from "node:crypto";
import { ALL_TOKEN_KINDS, GITLAB_FACTS, type ScenarioResult } from "@regkit/core";
import { type ReferenceRegistry, createReferenceRegistry } from "@regkit/registry";
import { type Fault, type HarnessRun, pinFacts, referenceCaller, useFaultHarness } from "@regkit/testkit";
import { beforeAll, describe, expect, it } from "vitest";
import { MD5_CHECKSUMS_DEVIATION, mavenGitLabFacts, mavenKit } from "@regkit/maven";
import { mavenReference } from "@regkit/maven/reference";

// Three reference registries: a private project, a public one, and one whose
// group forbids duplicates (set below, as GitLab changes it).
const privateHarness = useFaultHarness(mavenKit, mavenReference);
const publicHarness = useFaultHarness(mavenKit, mavenReference, { registry: { visibility: "public" } });
const rejectingHarness = useFaultHarness(mavenKit, mavenReference);

let registry: ReferenceRegistry;
let publicRegistry: ReferenceRegistry;
let rejecting: ReferenceRegistry;

const sha = (algorithm: string, data: string | Uint8Array) => createHash(algorithm).update(data).digest("hex");
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

/** A request under the maven endpoint of `on` (default: the private registry), as the personal token unless `headers` say otherwise. */
const call = referenceCaller("maven", () => registry);

const put = (path: string, body: string, init: { headers?: Record<string, string>; on?: ReferenceRegistry } = {}) => call(path, { ...init, method: "PUT", body });

let counter = 0;
/** A fresh artifact directory per test: `/io/regkit/facts/<id>` and the jar path of `version`. */
function artifact(version = "1.0"): { dir: string; id: string; jar: string } {
  counter += 1;
  const id = `fact${counter}`;
  const dir = `/io/regkit/facts/${id}`;
  return { dir, id, jar: `${dir}/${version}/${id}-${version}.jar` };
}

beforeAll(async () => {
  registry = privateHarness().registry;
  publicRegistry = publicHarness().registry;
  rejecting = rejectingHarness().registry;
  // The group setting as GitLab changes it: GraphQL, maven_duplicates_allowed false.
  const res = await fetch(`${rejecting.url}/api/graphql`, {
    method: "POST",
    headers: { "private-token": rejecting.tokens.personal, "content-type": "application/json" },
    body: JSON.stringify({ query: 'mutation { updateNamespacePackageSettings(input: { namespacePath: "regkit", mavenDuplicatesAllowed: false }) { errors } }' }),
  });
  expect(res.status).toBe(200);
  expect(rejecting.settings("maven").policies.duplicates).toBe("reject");
});

pinFacts(mavenGitLabFacts, {
  async routes(fact) {
    const { jar } = artifact();
    expect(fact.value.put).toEqual(["project"]);
    expect((await put(jar, "routes")).status).toBe(200);
    expect((await call(`${registry.groupRegistries.maven}${jar}`)).text).toBe("routes");
    expect((await put("/regkit/demo/7.0/demo-7.0.jar", "instance")).status).toBe(200);
    expect((await call(`${registry.instanceRegistries.maven}/regkit/demo/7.0/demo-7.0.jar`)).text).toBe("instance");
    expect(fact.value.get).toEqual(["project", "group", "instance"]);
    for (const level of [registry.groupRegistries.maven!, registry.instanceRegistries.maven!]) {
      const refused = await call(`${level}${jar}`, { method: "PUT", body: "elsewhere" });
      expect(refused.status, level).toBeGreaterThanOrEqual(400);
      expect(refused.status, level).toBeLessThan(500);
    }
    const deleted = await call(jar, { method: "DELETE" });
    expect(deleted.status).toBeGreaterThanOrEqual(400);
    expect((await call(jar)).text).toBe("routes");
  },
  async uploadStatus(fact) {
    const { jar, dir } = artifact();
    expect((await put(jar, "jar")).status).toBe(fact.value);
    expect((await put(`${dir}/1.0/${dir.split("/").at(-1)}-1.0.pom`, "<project/>")).status).toBe(fact.value);
    expect((await put(`${dir}/maven-metadata.xml`, "<metadata/>")).status).toBe(fact.value);
  },
  async sha1Upload(fact) {
    const { jar, dir, id } = artifact();
    await put(jar, "payload");
    const right = sha("sha1", "payload");
    expect((await put(`${jar}.sha1`, right)).status).toBe(fact.value.match);
    for (const wrong of [sha("sha1", "other"), `${right}\n`, right.toUpperCase(), `${right}  ${id}-1.0.jar`]) {
      const res = await put(`${jar}.sha1`, wrong);
      expect(res.status, JSON.stringify(wrong)).toBe(fact.value.mismatch);
    }
    expect((await put(`${dir}/1.0/${id}-1.0.pom.sha1`, right)).status).toBe(fact.value.missing);
    // Never stored: the served .sha1 is still the file's own.
    expect((await call(`${jar}.sha1`)).text).toBe(right);
  },
  async md5Upload(fact) {
    const { jar } = artifact();
    await put(jar, "payload");
    const res = await put(`${jar}.md5`, "not an md5 at all");
    expect(res.status).toBe(fact.value);
    expect(res.text).toBe("");
    expect((await call(`${jar}.md5`)).text).toBe(sha("md5", "payload"));
  },
  async sha2Files(fact) {
    const { jar } = artifact();
    await put(jar, "payload");
    for (const algorithm of fact.value) {
      expect((await call(`${jar}.${algorithm}`)).status, algorithm).toBe(404);
      const stated = `${sha(algorithm, "something else")}  x.jar\n`;
      expect((await put(`${jar}.${algorithm}`, stated)).status, algorithm).toBe(200);
      const served = await call(`${jar}.${algorithm}`);
      expect(served.text).toBe(stated);
      expect(served.headers.get("content-type")).toBe(mavenGitLabFacts.download.value.contentType);
    }
  },
  async checksumDownload(fact) {
    const { jar } = artifact();
    await put(jar, "payload");
    for (const algorithm of ["sha1", "md5"]) {
      const res = await call(`${jar}.${algorithm}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain(fact.value.contentType);
      expect(res.text).toBe(sha(algorithm, "payload"));
    }
    // FIPS mode (fact.value.fipsMd5) is the gitlab profiles' `fips` setting: see "the recorded deviation" below.
    expect(fact.value.fipsMd5).toBe(422);
  },
  async download(fact) {
    const { jar, dir } = artifact();
    await put(jar, "jar bytes");
    await put(`${dir}/maven-metadata.xml`, "<metadata/>");
    for (const [path, body] of [[jar, "jar bytes"], [`${dir}/maven-metadata.xml`, "<metadata/>"]] as const) {
      const res = await call(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(fact.value.contentType);
      const [sha1Header, md5Header] = fact.value.headers;
      expect(res.headers.get(sha1Header)).toBe(sha("sha1", body));
      expect(res.headers.get(md5Header)).toBe(sha("md5", body));
    }
  },
  async head(fact) {
    const { jar } = artifact();
    await put(jar, "headed");
    const res = await call(jar, { method: "HEAD" });
    expect(res.status).toBe(fact.value);
    expect(res.headers.get("content-length")).toBe("6");
  },
  async missingFile(fact) {
    const { jar, dir } = artifact();
    await put(jar, "present");
    for (const path of [`${dir}/1.0/nothing-1.0.pom`, `${dir}/9.9/${dir.split("/").at(-1)}-9.9.jar`, "/no/such/artifact/maven-metadata.xml"]) {
      const res = await call(path);
      expect(res.status, path).toBe(fact.value.status);
      expect(JSON.parse(res.text), path).toEqual({ message: fact.value.message });
    }
  },
  async downloadChecks(fact) {
    const { dir, id } = artifact();
    // Encoded twice: fetch would resolve a plain %2e%2e itself.
    expect((await call(`${dir}/1.0/%252e%252e/${id}-1.0.jar`)).status).toBe(fact.value.traversal);
    // Names and paths an upload refuses are only not found.
    for (const path of [`${dir}/1.0/${id}%21.jar`, `/io/regkit/a%20b/1.0/ab-1.0.jar`, `/${id}-1.0.jar`, `${dir}/1..0/${id}-1..0.jar`]) {
      expect((await call(path)).status, path).toBe(fact.value.unknownName);
    }
  },
  async metadataStored() {
    const { dir, jar } = artifact();
    const stated = "<metadata><versioning><latest>0.0.1</latest></versioning></metadata>";
    expect((await put(`${dir}/maven-metadata.xml`, stated)).status).toBe(200);
    // A new version changes nothing: the metadata is the client's to write.
    await put(jar, "jar");
    expect((await call(`${dir}/maven-metadata.xml`)).text).toBe(stated);
  },
  async packagesApi(fact) {
    const path = fact.value.name;
    expect((await put(`/${path}/1.0/app-1.0.jar`, "jar")).status).toBe(200);
    expect((await put(`/${path}/maven-metadata.xml`, "<metadata/>")).status).toBe(200);
    const list = async (versionless: boolean) => {
      const query = `package_type=maven&package_name=${encodeURIComponent(path)}${versionless ? "&include_versionless=true" : ""}`;
      const res = await call(`${registry.url}/api/v4/projects/1/packages?${query}`);
      return (JSON.parse(res.text) as { name: string; version: string | null }[]).map((p) => [p.name, p.version]);
    };
    expect(await list(true)).toEqual(expect.arrayContaining([[path, "1.0"], [path, fact.value.versionless]]));
    expect(await list(false)).toEqual([[path, "1.0"]]);
  },
  async duplicatesDefault(fact) {
    expect(registry.settings("maven").policies.duplicates).toBe(fact.value);
    const { jar } = artifact();
    expect((await put(jar, "first")).status).toBe(200);
    expect((await put(jar, "second")).status).toBe(200);
    expect((await call(jar)).text).toBe("second");
  },
  async duplicateRefusal(fact) {
    const { jar } = artifact();
    expect((await put(jar, "first", { on: rejecting })).status).toBe(200);
    const again = await put(jar, "second", { on: rejecting });
    expect(again.status).toBe(fact.value.status);
    expect(JSON.parse(again.text)).toEqual({ message: fact.value.message });
    expect((await call(jar, { on: rejecting })).text).toBe("first");
  },
  async duplicateScope(fact) {
    const on = rejecting;
    const { dir, id, jar } = artifact();
    expect(fact.value.snapshotBuildStripped).toBe(true);
    expect((await put(`${dir}/1.0-SNAPSHOT/${id}-1.0-20240101.010101-1.jar`, "b1", { on })).status).toBe(200);
    expect((await put(`${dir}/1.0-SNAPSHOT/${id}-1.0-20240101.010102-2.jar`, "b2", { on })).status).toBe(400);
    expect((await put(`${dir}/1.0-SNAPSHOT/maven-metadata.xml`, "<metadata/>", { on })).status).toBe(200);
    expect((await put(`${dir}/1.0-SNAPSHOT/maven-metadata.xml`, "<metadata/>", { on })).status).toBe(400);
    // Exempt: artifact-level metadata, .sha1 and .md5 (never stored), a classifier next to the main file.
    expect(fact.value.exempt).toHaveLength(3);
    for (let i = 0; i < 2; i++) expect((await put(`${dir}/maven-metadata.xml`, `<metadata>${i}</metadata>`, { on })).status).toBe(200);
    expect((await put(jar, "jar", { on })).status).toBe(200);
    for (let i = 0; i < 2; i++) {
      expect((await put(`${jar}.sha1`, sha("sha1", "jar"), { on })).status).toBe(204);
      expect((await put(`${jar}.md5`, sha("md5", "jar"), { on })).status).toBe(200);
    }
    expect((await put(`${dir}/1.0/${id}-1.0-sources.jar`, "sources", { on })).status).toBe(200);
    // .sha256 is a stored file: a second upload is a duplicate.
    expect((await put(`${jar}.sha256`, sha("sha256", "jar"), { on })).status).toBe(200);
    expect((await put(`${jar}.sha256`, sha("sha256", "jar"), { on })).status).toBe(400);
  },
  async fileName(fact) {
    const { dir } = artifact();
    for (const name of ["unrelated-name.jar", "build+7.txt", "_.weird"]) {
      expect(fact.value.test(name)).toBe(true);
      expect((await put(`${dir}/1.0/${name}`, name)).status, name).toBe(200);
      expect((await call(`${dir}/1.0/${name}`)).text).toBe(name);
    }
    for (const name of ["a@b.jar", "a%20b.jar", "a~b.jar"]) {
      expect(fact.value.test(decodeURIComponent(name))).toBe(false);
      expect((await put(`${dir}/1.0/${name}`, name)).status, name).toBe(400);
    }
  },
  async fileNameLength(fact) {
    const { dir } = artifact();
    const longest = `${"a".repeat(fact.value.max - 4)}.jar`;
    expect((await put(`${dir}/1.0/${longest}`, "x")).status).toBe(200);
    const res = await put(`${dir}/1.0/a${longest}`, "x");
    expect(res.status).toBe(fact.value.status);
    expect(JSON.parse(res.text)).toEqual({ message: fact.value.message });
  },
  async pathRules(fact) {
    const { dir, id } = artifact();
    expect(fact.value.version.test("1.0+build.7")).toBe(true);
    expect((await put(`${dir}/1.0+build.7/${id}-1.0+build.7.jar`, "x")).status).toBe(200);
    for (const path of [`${dir}/1..0/${id}-1..0.jar`, `/io/re+g/${id}/1.0/${id}-1.0.jar`, `/io/a%20b/${id}/1.0/${id}-1.0.jar`, `/${id}/1.0/${id}-1.0.jar`, `/${id}/maven-metadata.xml`]) {
      const res = await put(path, "x");
      expect(res.status, path).toBe(fact.value.status);
      expect(res.text, path).toContain(fact.value.message);
    }
  },
  async maxFileSize(fact) {
    expect(mavenReference.limits.maxFileSize).toBe(fact.value);
    const res = await call(`${registry.url}/api/v4/application/plan_limits`);
    expect(JSON.parse(res.text)).toMatchObject({ maven_max_file_size: fact.value });
  },
  async overLimit(fact) {
    const small = await createReferenceRegistry({ formats: [mavenReference], limits: { maven: { maxFileSize: 10 } } });
    try {
      const { jar } = artifact();
      const res = await put(jar, "x".repeat(11), { on: small });
      expect(res.status).toBe(fact.value.status);
      expect(JSON.parse(res.text)).toEqual({ message: fact.value.message });
      expect((await call(jar, { on: small })).status).toBe(404);
      expect((await put(jar, "x".repeat(10), { on: small })).status).toBe(200);
    } finally {
      await small.close();
    }
  },
  async credentials(fact) {
    const t = registry.tokens;
    const { dir, id } = artifact();
    const [privateToken, deployToken, jobToken] = fact.value.headers;
    const writers: Record<string, string>[] = [
      { [privateToken]: t.personal },
      { [deployToken]: t.deploy },
      { [jobToken]: t.job },
      { authorization: basic("anyone", t.personal) },
      { authorization: basic("not-the-deploy-username", t.deploy) },
      { authorization: basic(GITLAB_FACTS.jobTokenUsername.value, t.job) },
    ];
    for (const [i, headers] of writers.entries()) {
      expect((await put(`${dir}/1.${i}/${id}-1.${i}.jar`, "x", { headers })).status, JSON.stringify(Object.keys(headers))).toBe(200);
    }
    // A job token under another Basic username is no job token; a bad PRIVATE-TOKEN is 401 even where anonymous reads.
    expect((await put(`${dir}/2.0/${id}-2.0.jar`, "x", { headers: { authorization: basic("someone", t.job) } })).status).toBe(401);
    const pub = artifact();
    await put(pub.jar, "public", { on: publicRegistry });
    expect((await call(pub.jar, { on: publicRegistry, headers: { [privateToken]: "glpat-nobody" } })).status).toBe(401);
    expect((await call(pub.jar, { on: publicRegistry, headers: { authorization: basic("anyone", "glpat-nobody") } })).status).toBe(200);
    expect((await call(pub.jar, { on: publicRegistry, headers: { [deployToken]: "gldt-nobody" } })).status).toBe(200);
  },
  async anonymous(fact) {
    const { jar } = artifact();
    await put(jar, "private");
    for (const answer of [await call(jar, { headers: {} }), await put(jar, "x", { headers: {} })]) {
      expect(answer.status).toBe(fact.value.privateDownload);
      expect(answer.headers.get("www-authenticate")).toBe(`Basic realm="${GITLAB_FACTS.realm.value}"`);
    }
    expect(fact.value.upload).toBe(fact.value.privateDownload);
    await put(jar, "public", { on: publicRegistry });
    expect((await call(jar, { on: publicRegistry, headers: {} })).status).toBe(fact.value.publicDownload);
    expect((await put(jar, "x", { on: publicRegistry, headers: {} })).status).toBe(fact.value.upload);
  },
  async readOnlyUpload(fact) {
    const { jar, dir, id } = artifact();
    await put(jar, "readable");
    const headers = { "deploy-token": registry.tokens.readonlyDeploy };
    expect((await put(`${dir}/2.0/${id}-2.0.jar`, "x", { headers })).status).toBe(fact.value);
    expect((await call(jar, { headers })).text).toBe("readable");
  },
  async instanceLevel(fact) {
    const { jar } = artifact();
    await put(jar, "elsewhere");
    expect((await call(`${registry.instanceRegistries.maven}${jar}`)).status).toBe(fact.value);
    expect((await put("/regkit/demo/2.0/demo-2.0.jar", "own")).status).toBe(200);
    expect((await call(`${registry.instanceRegistries.maven}/regkit/demo/2.0/demo-2.0.jar`)).text).toBe("own");
  },
});

const options = { numRuns: 3, maxCommands: 8, manyVersions: 5, manyPackages: 5 };

/**
 * Runs `scenarios` on a harness's registry (through `fault` when given), under
 * every token kind unless `more` names some.
 */
async function run(
  harness: typeof privateHarness,
  scenarios: string[],
  more: Omit<HarnessRun, "scenarios"> = {},
  fault?: Fault,
): Promise<readonly ScenarioResult[]> {
  const report = await harness().run(fault, { tokenKinds: ALL_TOKEN_KINDS, options, seed: 7, ...more, scenarios });
  return report.results;
}

function expectNoFailure(results: readonly ScenarioResult[]): void {
  const bad = results.filter((r) => r.status === "fail" || r.status === "error");
  expect(bad.map((r) => `${r.scenario}/${r.tokenKind}: ${r.message}`)).toEqual([]);
  expect(results.some((r) => r.status === "pass")).toBe(true);
}

describe("the gitlab profiles under each setting", () => {
  for (const profile of ["gitlab", "gitlab-basic"]) {
    it(`${profile}: visibility=public against a public project (anonymous reads served, ${profile === "gitlab-basic" ? "a bad Basic password too" : "a bad PRIVATE-TOKEN still 401"})`, { timeout: 120_000 }, async () => {
      const results = await run(publicHarness, ["auth.matrix", "push.small"], { profile, settings: { visibility: "public" } });
      expectNoFailure(results);
      expect(results.filter((r) => r.scenario === "auth.matrix").map((r) => r.tokenKind).sort()).toEqual(["anonymous", "invalid", "readonly"]);
    });

    it(`${profile}: visibility=private (the default) against a private project`, { timeout: 120_000 }, async () => {
      expectNoFailure(await run(privateHarness, ["auth.matrix"], { profile, settings: { visibility: "private" } }));
    });
  }

  it("visibility=public against a private project fails auth.matrix: the setting decides what anonymous may read", { timeout: 120_000 }, async () => {
    const results = await run(privateHarness, ["auth.matrix"], { settings: { visibility: "public" }, tokenKinds: ["anonymous"] });
    expect(results).toHaveLength(1);
    expect(["fail", "error"]).toContain(results[0]?.status);
  });

  it("duplicates=reject against a group that forbids duplicates", { timeout: 180_000 }, async () => {
    expectNoFailure(await run(rejectingHarness, ["push.duplicate", "maven.snapshots", "maven.checksums"], { settings: { duplicates: "reject" }, tokenKinds: ["personal"] }));
  });

  it("fips=false (the default) against the reference, which serves .md5", { timeout: 120_000 }, async () => {
    const results = await run(privateHarness, ["maven.checksums", "push.small"], { settings: { fips: false }, tokenKinds: ["personal"] });
    expectNoFailure(results);
    expect(results.every((r) => r.status === "pass" && r.deviations === undefined)).toBe(true);
  });

  it("rejects settings it does not know, and values of the wrong type", async () => {
    await expect(run(privateHarness, ["push.small"], { settings: { visibility: "internal" } })).rejects.toThrow(/visibility/);
    await expect(run(privateHarness, ["push.small"], { settings: { pep691Json: true } })).rejects.toThrow(/unknown setting/);
  });
});

describe("the recorded deviation maven.md5-checksums (GitLab in FIPS mode)", () => {
  /** GitLab in FIPS mode: `.md5` downloads answer 422. */
  const fips: Fault = (ex) =>
    ex.method === "GET" && /\.md5$/.test(ex.path)
      ? { request: { answer: { status: mavenGitLabFacts.checksumDownload.value.fipsMd5, body: '{"message":"422 Unprocessable Entity"}' } } }
      : undefined;

  function throughFips(settings: Record<string, unknown>, scenarios: string[]): Promise<readonly ScenarioResult[]> {
    return run(privateHarness, scenarios, { settings, tokenKinds: ["personal"] }, fips);
  }

  it("occurs: fips=true against an instance that serves no .md5 gives the status deviation, with its source", { timeout: 120_000 }, async () => {
    const [result] = await throughFips({ fips: true }, ["maven.checksums"]);
    expect(result?.status, result?.message).toBe("deviation");
    expect(result?.deviations).toEqual([expect.objectContaining({ id: MD5_CHECKSUMS_DEVIATION, observed: true })]);
    expect(result?.deviations?.[0]?.source).toContain("lib/api/maven_packages.rb");
    expect(result?.message).toContain("422");
    // Every other scenario downloads without asking for the .md5.
    expectNoFailure(await throughFips({ fips: true }, ["push.small", "maven.classifiers"]));
  });

  it("is a failure where the profile does not record it (fips=false)", { timeout: 120_000 }, async () => {
    const [result] = await throughFips({}, ["maven.checksums"]);
    expect(result?.status).toBe("fail");
    expect(result?.message).toMatch(/\.md5/);
  });

  it("has gone: fips=true against an instance that serves .md5 passes, reporting the deviation as not observed", { timeout: 120_000 }, async () => {
    const [result] = await run(privateHarness, ["maven.checksums"], { settings: { fips: true }, tokenKinds: ["personal"] });
    expect(result?.status, result?.message).toBe("pass");
    expect(result?.deviations).toEqual([expect.objectContaining({ id: MD5_CHECKSUMS_DEVIATION, observed: false })]);
  });
});
