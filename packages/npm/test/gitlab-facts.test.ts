// Each GitLab npm fact (src/gitlab.ts) pinned against the embedded reference
// registry, one test titled with the fact's id; then the gitlab profile with
// its settings, and its recorded deviations seen and gone.
import { beforeAll, describe, expect, test } from "vitest";
import { ALL_TOKEN_KINDS, runConformance, type RunReport } from "@regkit/core";
import { ABBREVIATED_CONTENT_TYPE, gitlab, npmGitLabFacts, npmKit, publishDocument, type NpmProfile } from "@regkit/npm";
import { npmReference } from "@regkit/npm/reference";
import type { ReferenceRegistry } from "@regkit/registry";
import { pinFacts, useFaultHarness } from "@regkit/testkit";

// A private project (the facts and most runs) and a public one.
const harness = useFaultHarness(npmKit, npmReference);
const publicHarness = useFaultHarness(npmKit, npmReference, { registry: { visibility: "public" } });
let registry: ReferenceRegistry;
let open: ReferenceRegistry;
let npm: string;

beforeAll(() => {
  registry = harness().registry;
  open = publicHarness().registry;
  npm = registry.registries.npm!;
});

type Doc = Record<string, any>;
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
const personal = (): Record<string, string> => bearer(registry.tokens.personal);
const path = (name: string): string => (name.startsWith("@") ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name));

/** Publishes `name@version` as the npm CLI would, after `mutate` has its way with the document. */
async function publish(
  name: string,
  version: string,
  options: { mutate?: (doc: Doc) => void; headers?: Record<string, string>; endpoint?: string; urlName?: string } = {},
) {
  const endpoint = options.endpoint ?? npm;
  const artifact = await npmKit.build({ name, version, files: { "nonce.txt": new TextEncoder().encode(`${name}@${version}`) } });
  const { document } = publishDocument(endpoint, artifact);
  for (const attachment of Object.values(document._attachments as Doc)) attachment.data = Buffer.from(artifact.content.bytes!).toString("base64");
  options.mutate?.(document);
  const res = await fetch(`${endpoint}/${path(options.urlName ?? name)}`, {
    method: "PUT",
    headers: { ...(options.headers ?? personal()), "content-type": "application/json" },
    body: JSON.stringify(document),
  });
  const text = await res.text();
  return { res, artifact, body: (text ? JSON.parse(text) : undefined) as Doc };
}

async function get(url: string, headers: Record<string, string> = personal()) {
  const res = await fetch(url, { headers });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // a tarball
  }
  return { res, body };
}

/** Sets the first dist-tag of the document. */
const tagged = (tag: string) => (doc: Doc) => {
  doc["dist-tags"] = { [tag]: Object.keys(doc.versions)[0] };
};

describe("GitLab npm facts, pinned against the reference registry", () => {
  pinFacts(npmGitLabFacts, {
    publish: async (fact) => {
      const { res, body } = await publish("fact-publish", "1.0.0");
      expect(res.status).toBe(fact.value);
      expect(body).toMatchObject({ name: "fact-publish", version: "1.0.0", package_type: "npm" });
      expect(body.id).toBeTypeOf("number");
      // The id the Packages API lists for it.
      const listed = (await get(`${registry.url}/api/v4/projects/1/packages?package_type=npm&package_name=fact-publish`)).body as Doc[];
      expect(listed.map((p) => p.id)).toEqual([body.id]);
    },

    duplicate: async (fact) => {
      expect((await publish("fact-dup", "1.0.0")).res.status).toBe(200);
      const { res, body } = await publish("fact-dup", "1.0.0");
      expect(res.status).toBe(fact.value.status);
      expect(body).toEqual({ message: fact.value.message, error: fact.value.error });
    },

    tooLarge: async (fact) => {
      registry.setLimits("npm", { maxFileSize: 64 });
      try {
        const { res, body } = await publish("fact-large", "1.0.0");
        expect(res.status).toBe(fact.value.status);
        expect(body).toEqual({ message: fact.value.message, error: fact.value.error });
        expect((await get(`${npm}/fact-large`)).res.status).toBe(404);
      } finally {
        registry.setLimits("npm", { maxFileSize: npmGitLabFacts.maxFileSize.value });
      }
    },

    maxFileSize: async (fact) => {
      const { res, body } = await get(`${registry.url}/api/v4/application/plan_limits`, { "private-token": registry.tokens.personal });
      expect(res.status).toBe(200);
      expect(body.npm_max_file_size).toBe(fact.value);
    },

    nameRule: async (fact) => {
      const rule = new RegExp(fact.value);
      const accepted = ["FactUpper", ".fact-dot", "_fact-under", "node_modules", "favicon.ico", "http", `fact${"b".repeat(220)}`, "fact+plus", "@Any_Scope/fact", "@.dot/fact"];
      const refused = ["fact space", "fact~tilde", "fact!", "fact(x)", "fact*", "fact%", "fact^", "fact<", "@-dash/fact", "@bad scope/fact", "@a.git/fact"];
      for (const name of accepted) {
        expect(rule.test(name), name).toBe(true);
        expect((await publish(name, "1.0.0")).res.status, name).toBe(200);
      }
      for (const name of refused) {
        expect(rule.test(name), name).toBe(false);
        expect((await publish(name, "1.0.0")).res.status, name).toBe(400);
      }
    },

    invalidName: async (fact) => {
      const { res, body } = await publish("fact invalid", "1.0.0");
      expect(res.status).toBe(fact.value.status);
      expect(body).toEqual({ message: fact.value.message, error: fact.value.error });
    },

    versionRule: async (fact) => {
      const rule = new RegExp(fact.value.pattern);
      const versionTo = (version: string) => (doc: Doc) => {
        const [manifest] = Object.values(doc.versions);
        const [attachment] = Object.values(doc._attachments);
        doc.versions = { [version]: { ...(manifest as Doc), version } };
        doc._attachments = { [`${doc.name}-${version}.tgz`]: attachment };
      };
      for (const bad of ["1.2", "v1.2.3", "01.2.3", "1.2.3-01"]) {
        expect(rule.test(bad), bad).toBe(false);
        const { res, body } = await publish("fact-version", "1.0.0", { mutate: versionTo(bad) });
        expect(res.status, bad).toBe(fact.value.status);
        expect(body.message, bad).toBe(fact.value.message);
      }
      expect(rule.test("1.0.0-rc.1+build.7")).toBe(true);
      expect((await publish("fact-version", "1.0.0", { mutate: versionTo("1.0.0-rc.1+build.7") })).res.status).toBe(200);
      const empty = await publish("fact-version", "1.0.0", { mutate: (doc) => (doc.versions = {}) });
      expect(empty.res.status).toBe(400);
      expect(empty.body.message).toBe(fact.value.empty);
    },

    firstVersionOnly: async (fact) => {
      expect(fact.value).toBe("first");
      const { res } = await publish("fact-two", "1.0.0", { mutate: (doc) => (doc.versions["2.0.0"] = { ...doc.versions["1.0.0"], version: "2.0.0" }) });
      expect(res.status).toBe(200);
      expect(Object.keys((await get(`${npm}/fact-two`)).body.versions)).toEqual(["1.0.0"]);
    },

    bodyName: async (fact) => {
      expect(fact.value).toBe("body");
      expect((await publish("fact-body", "1.0.0", { urlName: "fact-url" })).res.status).toBe(200);
      expect((await get(`${npm}/fact-body`)).res.status).toBe(200);
      expect((await get(`${npm}/fact-url`)).res.status).toBe(404);
    },

    attachment: async (fact) => {
      const name = "@fact/attach";
      expect(fact.value.file).toBe("<name>-<version>.tgz");
      // The npm CLI's key, scope included; a provenance bundle next to it is ignored; length is not read.
      const { res } = await publish(name, "1.0.0", {
        mutate: (doc) => {
          expect(Object.keys(doc._attachments)).toEqual([`${name}-1.0.0.tgz`]);
          doc._attachments[`${name}-1.0.0.tgz`].length = 1;
          doc._attachments[`${name}-1.0.0.sigstore`] = { content_type: "application/json", data: Buffer.from("{}").toString("base64"), length: 2 };
        },
      });
      expect(res.status).toBe(200);
      // Without the scope the key is not GitLab's.
      const unscoped = await publish(name, "2.0.0", { mutate: (doc) => (doc._attachments = { "attach-2.0.0.tgz": doc._attachments[`${name}-2.0.0.tgz`] }) });
      expect(unscoped.res.status).toBe(400);
      const empty = await publish(name, "3.0.0", { mutate: (doc) => (doc._attachments[`${name}-3.0.0.tgz`].data = "") });
      expect(empty.res.status).toBe(fact.value.empty.status);
      expect(empty.body).toEqual({ message: fact.value.empty.message, error: fact.value.empty.error });
      expect(Object.keys((await get(`${npm}/${path(name)}`)).body.versions)).toEqual(["1.0.0"]);
    },

    checksums: async (fact) => {
      const wrong = "0".repeat(40);
      const { res } = await publish("fact-sums", "1.0.0", {
        mutate: (doc) => {
          doc.versions["1.0.0"].dist.shasum = wrong;
          doc.versions["1.0.0"].dist.integrity = `sha512-${Buffer.alloc(64).toString("base64")}`;
        },
      });
      expect(res.status).toBe(200);
      const dist = (await get(`${npm}/fact-sums`)).body.versions["1.0.0"].dist;
      expect(dist.shasum).toBe(fact.value.shasum === "as sent" ? wrong : undefined);
      expect("integrity" in dist).toBe(fact.value.integrity);
    },

    publishTags: async (fact) => {
      expect(fact.value).toBe("first");
      await publish("fact-tags", "1.0.0");
      await publish("fact-tags", "2.0.0", { mutate: (doc) => (doc["dist-tags"] = { beta: "2.0.0", latest: "2.0.0" }) });
      expect((await get(`${npm}/-/package/fact-tags/dist-tags`)).body).toEqual({ latest: "1.0.0", beta: "2.0.0" });
      await publish("fact-tags", "3.0.0", { mutate: tagged("beta") });
      expect((await get(`${npm}/-/package/fact-tags/dist-tags`)).body).toEqual({ latest: "1.0.0", beta: "3.0.0" });
    },

    latestFill: async (fact) => {
      expect(fact.value).toBe("highest");
      await publish("fact-fill", "2.0.0", { mutate: tagged("next") });
      await publish("fact-fill", "1.0.0", { mutate: tagged("beta") });
      expect((await get(`${npm}/-/package/fact-fill/dist-tags`)).body).toEqual({ latest: "2.0.0", next: "2.0.0", beta: "1.0.0" });
      expect((await get(`${npm}/fact-fill`)).body["dist-tags"].latest).toBe("2.0.0");
    },

    packumentContentType: async (fact) => {
      await publish("fact-type", "1.0.0");
      for (const accept of ["application/vnd.npm.install-v1+json", "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8", "application/json", "*/*"]) {
        const { res } = await get(`${npm}/fact-type`, { ...personal(), accept });
        expect(res.headers.get("content-type"), accept).toBe(fact.value);
      }
    },

    packumentFields: async (fact) => {
      await publish("fact-fields", "1.0.0", {
        mutate: (doc) => {
          Object.assign(doc.versions["1.0.0"], {
            readme: "# long",
            scripts: { install: "node x.js", test: "true" },
            dependencies: { a: "^1.0.0" },
            peerDependencies: { b: "^2.0.0" },
            engines: { node: ">=22" },
            keywords: ["x"],
          });
        },
      });
      const doc = (await get(`${npm}/fact-fields`)).body;
      expect(Object.keys(doc).sort()).toEqual([...fact.value.topLevel].sort());
      const version = doc.versions["1.0.0"];
      const allowed = new Set(["name", "version", "dist", ...fact.value.dependencies, ...fact.value.fields]);
      expect(Object.keys(version).filter((k) => !allowed.has(k))).toEqual([]);
      expect(Object.keys(version.dist).sort()).toEqual([...fact.value.dist].sort());
      expect(version).toMatchObject({ dependencies: { a: "^1.0.0" }, peerDependencies: { b: "^2.0.0" }, engines: { node: ">=22" }, hasInstallScript: true });
    },

    tarballUrl: async (fact) => {
      expect(fact.value).toBe("<endpoint>/<name>/-/<name>-<version>.tgz");
      const { artifact } = await publish("@fact/url", "1.0.0");
      const expected = `${npm}/@fact/url/-/@fact/url-1.0.0.tgz`;
      expect((await get(`${npm}/${path("@fact/url")}`)).body.versions["1.0.0"].dist.tarball).toBe(expected);
      // Read at group level, the tarball stays the project's.
      expect((await get(`${registry.groupRegistries.npm}/${path("@fact/url")}`)).body.versions["1.0.0"].dist.tarball).toBe(expected);
      const res = await fetch(expected, { headers: personal() });
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(artifact.content.bytes!))).toBe(true);
    },

    unknownPackage: async (fact) => {
      const { res, body } = await get(`${npm}/fact-nothing-here`);
      expect(res.status).toBe(fact.value.status);
      expect(body).toEqual({ message: fact.value.message, error: fact.value.error });
    },

    unknownTarball: async (fact) => {
      await publish("fact-tgz", "1.0.0");
      for (const url of [`${npm}/fact-tgz/-/fact-tgz-9.9.9.tgz`, `${npm}/fact-none/-/fact-none-1.0.0.tgz`]) {
        const { res, body } = await get(url);
        expect(res.status, url).toBe(fact.value.status);
        expect(body, url).toEqual({ message: fact.value.message, error: fact.value.error });
      }
    },

    anonymousPrivate: async (fact) => {
      await publish("fact-anon", "1.0.0");
      expect((await get(`${npm}/fact-anon`, {})).res.status).toBe(fact.value.metadata);
      expect((await get(`${npm}/-/package/fact-anon/dist-tags`, {})).res.status).toBe(fact.value.distTags);
      expect((await get(`${npm}/fact-anon/-/fact-anon-1.0.0.tgz`, {})).res.status).toBe(fact.value.tarball);
    },

    anonymousPublic: async (fact) => {
      const endpoint = open.registries.npm!;
      expect((await publish("fact-public", "1.0.0", { endpoint, headers: bearer(open.tokens.personal) })).res.status).toBe(200);
      for (const url of [`${endpoint}/fact-public`, `${endpoint}/-/package/fact-public/dist-tags`, `${endpoint}/fact-public/-/fact-public-1.0.0.tgz`]) {
        expect((await get(url, {})).res.status, url).toBe(fact.value.read);
      }
      expect((await publish("fact-public", "2.0.0", { endpoint, headers: {} })).res.status).toBe(fact.value.publish);
    },

    distTagPut: async (fact) => {
      await publish("fact-put", "1.0.0");
      await publish("fact-put", "2.0.0");
      const put = (tag: string, version: string) =>
        fetch(`${npm}/-/package/fact-put/dist-tags/${tag}`, { method: "PUT", headers: { ...bearer(registry.tokens.developer), "content-type": "application/json" }, body: JSON.stringify(version) });
      const res = await put("beta", "1.0.0");
      expect(res.status).toBe(fact.value.status);
      expect(await res.text()).toBe("");
      expect((await put("beta", "2.0.0")).status).toBe(fact.value.status);
      expect((await get(`${npm}/-/package/fact-put/dist-tags`)).body).toEqual({ latest: "2.0.0", beta: "2.0.0" });
      const missing = await put("beta", "9.9.9");
      expect(missing.status).toBe(fact.value.unknownVersion);
      expect(await missing.json()).toEqual({ message: "404 Package Not Found", error: "Package not found" });
    },

    distTagDelete: async (fact) => {
      await publish("fact-del", "1.0.0", { mutate: tagged("beta") });
      await publish("fact-del", "2.0.0");
      await publish("fact-del", "3.0.0", { mutate: tagged("next") });
      const del = (tag: string, headers: Record<string, string>) => fetch(`${npm}/-/package/fact-del/dist-tags/${tag}`, { method: "DELETE", headers });
      expect((await del("beta", bearer(registry.tokens.developer))).status).toBe(fact.value.developer);
      const gone = await del("beta", personal());
      expect(gone.status).toBe(fact.value.status);
      expect(await gone.text()).toBe("");
      // A deploy token with write scope may remove tags too; latest is an ordinary tag.
      expect((await del("latest", bearer(registry.tokens.deploy))).status).toBe(fact.value.status);
      expect((await get(`${npm}/-/package/fact-del/dist-tags`)).body).toEqual({ latest: "3.0.0", next: "3.0.0" });
      const unknown = await del("nope", personal());
      expect(unknown.status).toBe(fact.value.unknownTag.status);
      expect(await unknown.json()).toEqual({ message: fact.value.unknownTag.message, error: fact.value.unknownTag.error });
    },

    noUnpublish: async (fact) => {
      await publish("fact-unpub", "1.0.0");
      expect((await fetch(`${npm}/fact-unpub/-rev/1-abc`, { method: "DELETE", headers: personal() })).status).toBe(fact.value);
      expect((await fetch(`${npm}/fact-unpub/-rev/1-abc`, { method: "PUT", headers: { ...personal(), "content-type": "application/json" }, body: "{}" })).status).toBe(fact.value);
      expect(Object.keys((await get(`${npm}/fact-unpub`)).body.versions)).toEqual(["1.0.0"]);
    },

    missingRoutes: async (fact) => {
      await publish("fact-routes", "1.0.0");
      const urls = fact.value.map((route) => `${npm}${route.replace(":name", "fact-routes").replace(":version", "1.0.0")}`);
      for (const url of urls) expect((await get(url)).res.status, url).toBe(404);
    },

    audit: async (fact) => {
      for (const route of ["/-/npm/v1/security/advisories/bulk", "/-/npm/v1/security/audits/quick"]) {
        const res = await fetch(`${npm}${route}`, { method: "POST", headers: { ...personal(), "content-type": "application/json" }, body: JSON.stringify({ "fact-audit": ["1.0.0"] }) });
        expect(res.status, route).toBe(fact.value.status);
        expect(await res.json(), route).toEqual(fact.value.body);
        expect((await fetch(`${npm}${route}`, { method: "POST", body: "{}" })).status, route).toBe(401);
      }
    },

    credentials: async (fact) => {
      expect(fact.value).toEqual(["bearer", "headers"]);
      await publish("fact-creds", "1.0.0");
      const { tokens } = registry;
      const ways: [string, Record<string, string>][] = [
        ["personal as Bearer", bearer(tokens.personal)],
        ["deploy as Bearer", bearer(tokens.deploy)],
        ["job as Bearer", bearer(tokens.job)],
        ["PRIVATE-TOKEN", { "private-token": tokens.personal }],
        ["DEPLOY-TOKEN", { "deploy-token": tokens.deploy }],
        ["JOB-TOKEN", { "job-token": tokens.job }],
      ];
      for (const [way, headers] of ways) expect((await get(`${npm}/fact-creds`, headers)).res.status, way).toBe(200);
      expect((await get(`${npm}/fact-creds`, bearer("glpat-nobody-issued-this"))).res.status).toBe(401);
    },

    basicDeployToken: async (fact) => {
      expect(fact.value).toMatch(/username ignored/);
      await publish("fact-basic", "1.0.0");
      for (const username of [registry.tokens.deployUsername, "anything"]) {
        const basic = { authorization: `Basic ${Buffer.from(`${username}:${registry.tokens.deploy}`).toString("base64")}` };
        expect((await get(`${npm}/fact-basic`, basic)).res.status, username).toBe(200);
      }
      // A personal or job token in Basic is not read: the caller is anonymous, and the private project's packument answers 401.
      for (const [username, token] of [["anything", registry.tokens.personal], ["gitlab-ci-token", registry.tokens.job]] as const) {
        const basic = { authorization: `Basic ${Buffer.from(`${username}:${token}`).toString("base64")}` };
        expect((await get(`${npm}/fact-basic`, basic)).res.status, username).toBe(401);
      }
    },

    publishAccess: async (fact) => {
      expect((await publish("fact-access", "1.0.0", { headers: {} })).res.status).toBe(fact.value.anonymous);
      expect((await publish("fact-access", "1.0.0", { headers: bearer(registry.tokens.readonlyDeploy) })).res.status).toBe(fact.value.readonly);
      expect((await publish("fact-access", "1.0.0", { headers: bearer(registry.tokens.developer) })).res.status).toBe(200);
    },
  });
});

/** The npm kit with one more profile. */
function withProfile(profile: NpmProfile): typeof npmKit {
  return { ...npmKit, profiles: { ...npmKit.profiles, [profile.name]: profile } };
}

const statuses = (report: RunReport): string[] => report.results.map((r) => `${r.scenario} [${r.tokenKind}] ${r.status}${r.status === "fail" || r.status === "error" ? `: ${r.message}` : ""}`);

describe("the gitlab profile against the reference registry", () => {
  test("visibility=public: anonymous reads pass against a public project, and the profile passes", async () => {
    const report = await publicHarness().run(undefined, { scenarios: ["auth.matrix", "pull.package", "npm.scoped", "npm.dist-tags"], tokenKinds: ALL_TOKEN_KINDS, settings: { visibility: "public" } });
    expect(report.settings.visibility).toBe("public");
    expect(report.settings.anonymousRead).toBe(true);
    expect(statuses(report).filter((s) => / (fail|error)/.test(s))).toEqual([]);
    expect(report.results.find((r) => r.scenario === "auth.matrix" && r.tokenKind === "anonymous")?.status).toBe("pass");
    // The default (private) is wrong for a public project: anonymous reads are served where the profile expects a refusal.
    const wrong = await publicHarness().run(undefined, { scenarios: ["auth.matrix"], tokenKinds: ["anonymous"] });
    expect(wrong.results[0]?.status).toBe("fail");
  }, 240_000);

  test("GitLab's recorded deviations are reported as deviations, not failures", async () => {
    const report = await harness().run(undefined, { scenarios: ["npm.abbreviated", "npm.integrity", "npm.invalid-names"], options: { numRuns: 12 }, seed: 99 });
    expect(statuses(report)).toEqual(["npm.integrity [personal] deviation", "npm.abbreviated [personal] deviation", "npm.invalid-names [personal] deviation"]);
    const abbreviated = report.results.find((r) => r.scenario === "npm.abbreviated")!;
    expect(abbreviated.deviations).toEqual([expect.objectContaining({ id: ABBREVIATED_CONTENT_TYPE, observed: true, source: gitlab.deviations![ABBREVIATED_CONTENT_TYPE]!.source })]);
    const names = report.results.find((r) => r.scenario === "npm.invalid-names")!;
    expect(names.deviations!.length).toBeGreaterThan(0);
    expect(names.deviations!.every((d) => d.observed && d.id.startsWith("npm.name-"))).toBe(true);
    expect(report.summary.deviation).toBe(3);
    // What the lenient registry took belongs to the run and is cleaned up through the Packages API.
    expect(report.cleanup.left).toEqual([]);
    expect(report.cleanup.errors).toEqual([]);
  }, 240_000);

  test("without the record, the same departure is a failure", async () => {
    const strict: NpmProfile = { ...gitlab, name: "gitlab-strict", deviations: {} };
    const report = await runConformance({ kit: withProfile(strict), target: harness().target({ profile: "gitlab-strict" }), scenarios: ["npm.abbreviated", "npm.integrity"], tokenKinds: ["personal"], seed: 5 });
    expect(report.results.map((r) => r.status)).toEqual(["fail", "fail"]);
    expect(report.results.find((r) => r.scenario === "npm.abbreviated")?.expectation).toEqual({ expected: "content-type application/vnd.npm.install-v1+json", actual: "application/json" });
  }, 120_000);

  test("a recorded deviation the registry no longer has: pass, and the report says the record can go", async () => {
    // A GitLab that learned the abbreviated packument: the proxy labels the answer the way npm asks.
    const report = await harness().run(
      (e) =>
        e.method === "GET" && (e.headers.accept ?? "").includes("application/vnd.npm.install-v1+json")
          ? { response: (res) => ({ headers: { ...res.headers, "content-type": "application/vnd.npm.install-v1+json" } }) }
          : undefined,
      { scenarios: ["npm.abbreviated"] },
    );
    const result = report.results[0]!;
    expect(result.status).toBe("pass");
    expect(result.deviations).toEqual([expect.objectContaining({ id: ABBREVIATED_CONTENT_TYPE, observed: false })]);
    expect(result.notes.join("\n")).toMatch(/recorded deviation npm\.abbreviated-content-type no longer happens/);
    expect(report.summary.deviationsGone).toBe(1);
  }, 120_000);
});
