// Every Conan check must be able to fail: the reference registry behind a
// faulty proxy that gets one thing wrong, and the scenario that must catch
// it. Each check first runs through a faithful proxy (it must pass there), so
// a failure below is the fault's doing.
import type { ScenarioResult } from "@regkit/core";
import { type Fault, corruptBody, ignoreCredentials, mapJson, resultOf, startFaultyProxy, useFaultHarness } from "@regkit/testkit";
import { describe, expect, it } from "vitest";
import { conanDriver, conanKit } from "@regkit/conan";
import { conanReference } from "@regkit/conan/reference";
import { startInstanceWrites } from "./instance-writes.js";

const harness = useFaultHarness(conanKit, conanReference);
const conanMissing = await conanDriver.unavailable();

async function runFaulty(fault: Fault | undefined, scenario: string, kind: "personal" | "anonymous" = "personal"): Promise<ScenarioResult> {
  // A negative kind runs with a writer at hand (the scenarios' set-up steps need one).
  const tokenKinds = kind === "personal" ? [kind] : (["personal", kind] as const);
  return resultOf(await harness().run(fault, { scenarios: [scenario], tokenKinds: [...tokenKinds], seed: 42 }), scenario, kind);
}

const get = (what: RegExp) => (path: string, method: string) => method === "GET" && what.test(path.split("?")[0]!);
const put = (what: RegExp) => (path: string, method: string) => method === "PUT" && what.test(path.split("?")[0]!);

/** Answers matching requests with `status` and a JSON message, without forwarding them. */
function answer(when: (path: string, method: string) => boolean, status: number, body: unknown = { message: `${status}` }, headers: Record<string, string> = { "content-type": "application/json" }): Fault {
  return (ex) => (when(ex.path, ex.method) ? { request: { answer: { status, headers, body: typeof body === "string" ? body : JSON.stringify(body) } } } : undefined);
}

/** Rewrites the text of matching successful answers. */
function mapText(when: (path: string, method: string) => boolean, map: (text: string) => string): Fault {
  return (ex) => (when(ex.path, ex.method) ? { response: (res) => (res.status === 200 ? { body: map(res.body.toString("utf8")) } : undefined) } : undefined);
}

describe("Conan checks pass through a faithful proxy (the baseline)", () => {
  for (const scenario of ["pull.package", "metadata.versions", "search", "conan.revisions", "conan.search", "conan.login"]) {
    it(scenario, async () => {
      const result = await runFaulty(undefined, scenario);
      expect(result.status, result.message).toBe("pass");
    });
  }
  it("conan.login-refused", async () => {
    const result = await runFaulty(undefined, "conan.login-refused", "anonymous");
    expect(result.status, result.message).toBe("pass");
  });
});

describe("downloads: the recipe, its manifest and its revision", () => {
  it("pull.package fails when conanfile.py is not the one the manifest lists", async () => {
    const result = await runFaulty(corruptBody({ when: (ex) => get(/\/files\/conanfile\.py$/)(ex.path, ex.method) }), "pull.package");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/conanfile\.py served for .* does not match its manifest/);
    expect(result.expectation?.expected).toMatch(/^md5 [0-9a-f]{32}$/);
    expect(result.exchanges.at(-1)?.path).toMatch(/\/files\/conanfile\.py$/);
  });

  it("pull.package fails when the manifest served is another revision's", async () => {
    const result = await runFaulty(mapText(get(/\/revisions\/[0-9a-f]{32}\/files\/conanmanifest\.txt$/), (text) => `${text}extra.txt: ${"0".repeat(32)}\n`), "pull.package");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/conanmanifest\.txt served for .* is not that revision's/);
  });

  it("pull.package fails when latest names a revision that is not stored", async () => {
    const result = await runFaulty(mapJson({ when: (ex) => get(/\/_\/_\/latest$/)(ex.path, ex.method), map: (doc) => ({ ...(doc as object), revision: "f".repeat(32) }) }), "pull.package");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/is not served: GET .* -> 404/);
  });
});

describe("revisions", () => {
  it("conan.revisions fails when the recipe revisions are listed oldest first", async () => {
    const fault = mapJson({ when: (ex) => get(/\/_\/_\/revisions$/)(ex.path, ex.method), map: (doc) => ({ ...(doc as object), revisions: [...((doc as { revisions: unknown[] }).revisions ?? [])].reverse() }) });
    const result = await runFaulty(fault, "conan.revisions");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/listing the recipe revisions: GET .* does not list the revisions newest first/);
  });

  it("conan.revisions fails when a recipe revision is left out of the list", async () => {
    const fault = mapJson({ when: (ex) => get(/\/_\/_\/revisions$/)(ex.path, ex.method), map: (doc) => ({ ...(doc as object), revisions: ((doc as { revisions: unknown[] }).revisions ?? []).slice(0, 1) }) });
    const result = await runFaulty(fault, "conan.revisions");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/does not list every revision uploaded/);
  });

  it("conan.revisions fails when latest is not the newest recipe revision", async () => {
    let latest = 0;
    // The first answer of `latest` is the scenario's check; later ones (downloads) are left alone.
    const fault: Fault = (ex) => (get(/\/_\/_\/latest$/)(ex.path, ex.method) && latest++ === 0 ? { response: () => ({ body: JSON.stringify({ revision: "0".repeat(32), time: "2024-12-17T09:16:40.334+0000" }) }) } : undefined);
    const result = await runFaulty(fault, "conan.revisions");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/the latest recipe revision: GET .*\/latest -> 200 is not the newest revision/);
  });

  it("conan.revisions fails when the package revisions are listed oldest first", async () => {
    const fault = mapJson({ when: (ex) => get(/\/packages\/[0-9a-f]+\/revisions$/)(ex.path, ex.method), map: (doc) => ({ ...(doc as object), revisions: [...((doc as { revisions: unknown[] }).revisions ?? [])].reverse() }) });
    const result = await runFaulty(fault, "conan.revisions");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/listing the package revisions: .* newest first/);
  });

  it("conan.revisions fails when the latest package revision is the older one", async () => {
    const fault = mapJson({ when: (ex) => get(/\/packages\/[0-9a-f]+\/latest$/)(ex.path, ex.method), map: (doc) => ({ ...(doc as object), revision: "1".repeat(32) }) });
    const result = await runFaulty(fault, "conan.revisions");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/the latest package revision: .* is not the newest revision/);
  });

  it("conan.revisions fails when a package file is served changed", async () => {
    const result = await runFaulty(corruptBody({ when: (ex) => get(/\/files\/conan_package\.tgz$/)(ex.path, ex.method) }), "conan.revisions");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/the downloaded conan_package\.tgz differs from what was uploaded/);
  });

  it("conan.revisions fails when a second recipe revision is refused", async () => {
    let uploads = 0;
    const seen = new Set<string>();
    const fault: Fault = (ex) => {
      if (!put(/\/files\/conanfile\.py$/)(ex.path, ex.method)) return undefined;
      const rrev = /\/revisions\/([0-9a-f]+)\//.exec(ex.path)?.[1] ?? "";
      seen.add(rrev);
      uploads += 1;
      return seen.size > 1 && uploads > 1 ? { request: { answer: { status: 400, headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "400 Bad request - Duplicate package is not allowed" }) } } } : undefined;
    };
    const result = await runFaulty(fault, "conan.revisions");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/uploading a second recipe revision of the same version was refused \(PUT .* -> 400\)/);
  });
});

describe("empty files (GitLab's recorded deviation)", () => {
  it("conan.empty-file is a recorded deviation under the gitlab profile: the empty conaninfo.txt is not stored", async () => {
    const result = await runFaulty(undefined, "conan.empty-file");
    expect(result.status).toBe("deviation");
    expect(result.deviations?.[0]).toMatchObject({ id: "conan.empty-files" });
  });

  it("conan.empty-file fails where no deviation is recorded (the conan-server profile against the GitLab-shaped reference)", async () => {
    const result = resultOf(await harness().run(undefined, { scenarios: ["conan.empty-file"], profile: "conan-server", tokenKinds: ["personal"], seed: 42 }), "conan.empty-file");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/file list does not name the empty conaninfo\.txt \(GET .*\/files -> 200\)/);
    expect(result.expectation?.expected).toBe("conaninfo.txt among the files");
  });
});

describe("search and versions", () => {
  it("conan.search fails when a pattern finds nothing", async () => {
    const result = await runFaulty(mapJson({ when: (ex) => get(/\/v2\/conans\/search$/)(ex.path, ex.method) && ex.path.includes("find"), map: () => ({ results: [] }) }), "conan.search");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/searching for .* does not return/);
  });

  it("conan.search fails when the version in the pattern is ignored", async () => {
    const fault = mapJson({
      when: (ex) => get(/\/v2\/conans\/search$/)(ex.path, ex.method) && ex.path.includes("0.0.0-none"),
      map: (doc, ex) => {
        const q = new URLSearchParams(ex.path.slice(ex.path.indexOf("?") + 1)).get("q") ?? "";
        return { results: [...((doc as { results: string[] }).results ?? []), `${q.split("/")[0]}/1.2.3@_/_`] };
      },
    });
    const result = await runFaulty(fault, "conan.search");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/0\.0\.0-none returns/);
  });

  it("metadata.versions fails when the search leaves a version out", async () => {
    const result = await runFaulty(mapJson({ when: (ex) => get(/\/v2\/conans\/search$/)(ex.path, ex.method), map: (doc) => ({ results: ((doc as { results: string[] }).results ?? []).slice(1) }) }), "metadata.versions");
    expect(result.status).toBe("fail");
  });
});

describe("login and credentials", () => {
  it("conan.login fails when ping does not announce revisions", async () => {
    const fault: Fault = (ex) => (get(/\/v1\/ping$/)(ex.path, ex.method) ? { response: (res) => ({ headers: { ...res.headers, "x-conan-server-capabilities": "" } }) } : undefined);
    const result = await runFaulty(fault, "conan.login");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/GET \/v1\/ping -> 200 does not announce the revisions capability/);
  });

  it("conan.login fails when the token users/authenticate issues is not taken as Bearer", async () => {
    // The preflight's own login (the first) is left alone, so the scenario runs and must catch it.
    let logins = 0;
    const wrongToken = mapText((path, method) => get(/\/v2\/users\/authenticate$/)(path, method) && logins++ > 0, () => "not-the-token");
    const result = await runFaulty(wrongToken, "conan.login");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/check_credentials does not take the token/);
  });

  it("conan.login-refused fails when users/authenticate hands a token to anyone", async () => {
    const anyone: Fault = (ex) =>
      get(/\/v2\/users\/authenticate$/)(ex.path, ex.method) && ex.headers.authorization === undefined
        ? { request: { answer: { status: 200, headers: { "content-type": "text/plain" }, body: "free-token" } } }
        : undefined;
    const result = await runFaulty(anyone, "conan.login-refused", "anonymous");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/users\/authenticate without credentials was not refused with 401/);
  });

  it("auth.matrix fails when uploads without valid credentials are stored", async () => {
    const h = harness();
    const report = await h.run(ignoreCredentials({ validTokens: [h.registry.tokens.personal, h.registry.tokens.deploy, h.registry.tokens.job], status: 200 }), {
      scenarios: ["auth.matrix"],
      tokenKinds: ["personal", "anonymous"],
      seed: 42,
    });
    const result = resultOf(report, "auth.matrix", "anonymous");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/publishing with no credentials: accepted/);
  });
});

describe("v1 (api: v1): upload_urls, download_urls and the snapshot", () => {
  const v1 = { api: "v1" };
  const runV1 = async (fault: Fault, scenario: string): Promise<ScenarioResult> => resultOf(await harness().run(fault, { scenarios: [scenario], tokenKinds: ["personal"], settings: v1, seed: 42 }), scenario, "personal");
  const recipeV1 = /\/v1\/conans\/[^/]+\/[^/]+\/_\/_$/;

  it("pull.package passes over v1 through a faithful proxy (the URLs GitLab answers lead through it)", async () => {
    const seen: string[] = [];
    const result = await runV1((ex) => void seen.push(`${ex.method} ${ex.path.split("?")[0]}`), "pull.package");
    expect(result.status, result.message).toBe("pass");
    for (const route of [/^POST .*\/v1\/conans\/.*\/_\/_\/upload_urls$/, /^PUT .*\/v1\/files\/.*\/_\/_\/0\/export\/conanfile\.py$/, /^PUT .*\/0\/package\/[0-9a-f]+\/0\/conan_package\.tgz$/, /^GET .*\/download_urls$/, /^GET .*\/v1\/files\/.*\/0\/export\/conanfile\.py$/]) {
      expect(seen.some((line) => route.test(line)), `${route} among ${seen.join(", ")}`).toBe(true);
    }
  });

  it("pull.package fails when download_urls points conanfile.py at another file", async () => {
    const fault = mapJson({
      when: (ex) => get(/\/v1\/conans\/.*\/download_urls$/)(ex.path, ex.method),
      map: (doc) => {
        const urls = doc as Record<string, string>;
        return { ...urls, "conanfile.py": urls["conanmanifest.txt"] };
      },
    });
    const result = await runV1(fault, "pull.package");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/the download URL GET .*\/download_urls -> 200 answers for conanfile\.py of .* is not that file's/);
    expect(result.expectation?.expected).toMatch(/ending \/export\/conanfile\.py$/);
    expect(result.expectation?.actual).toMatch(/\/export\/conanmanifest\.txt$/);
  });

  it("pull.package fails when the recipe snapshot's md5 is not the file's", async () => {
    const fault = mapJson({ when: (ex) => get(recipeV1)(ex.path, ex.method), map: (doc) => ({ ...(doc as object), "conanfile.py": "0".repeat(32) }) });
    const result = await runV1(fault, "pull.package");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/the snapshot of .* \(GET .* -> 200\) does not give the MD5 of the conanfile\.py served/);
    expect(result.expectation?.actual).toBe(`"conanfile.py": "${"0".repeat(32)}"`);
  });

  it("pull.package fails when upload_urls sends conanfile.py to another file's URL", async () => {
    const fault = mapJson({
      when: (ex) => ex.method === "POST" && /\/_\/_\/upload_urls$/.test(ex.path.split("?")[0]!),
      map: (doc) => {
        const urls = doc as Record<string, string>;
        return { ...urls, "conanfile.py": urls["conanmanifest.txt"] };
      },
    });
    const result = await runV1(fault, "pull.package");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/the upload URL POST .*\/upload_urls -> 200 answers for conanfile\.py is not that file's/);
  });
});

describe("instance level (api: v1, …/api/v4/packages/conan): the recipe's user names the project", () => {
  const settings = { api: "v1", project: "regkit/demo" };
  /** `scenario` at the instance level, through `fault` and the shim that takes the writes to the project level (./instance-writes.ts). */
  const runInstance = async (fault: Fault, scenario: string): Promise<ScenarioResult> => {
    const shim = await startInstanceWrites(harness().registry.url);
    const proxy = await startFaultyProxy({ upstream: shim.url, fault });
    try {
      const run = { scenarios: [scenario], tokenKinds: ["personal" as const], settings, seed: 42, target: { registry: `${proxy.url}/api/v4/packages/conan` } };
      return resultOf(await harness().run(undefined, run), scenario, "personal");
    } finally {
      await proxy.close();
      await shim.close();
    }
  };
  const toOther = (text: string) => text.replaceAll("/regkit+demo/", "/regkit+other/");

  it("pull.package passes at instance level through a faithful proxy, under the project's user", async () => {
    const seen: string[] = [];
    const result = await runInstance((ex) => void seen.push(`${ex.method} ${ex.path.split("?")[0]}`), "pull.package");
    expect(result.status, result.message).toBe("pass");
    for (const route of [/^POST \/api\/v4\/packages\/conan\/v1\/conans\/.*\/regkit\+demo\/stable\/upload_urls$/, /^PUT \/api\/v4\/packages\/conan\/v1\/files\/.*\/regkit\+demo\/stable\/0\/export\/conanfile\.py$/, /^GET \/api\/v4\/packages\/conan\/v1\/files\/.*\/regkit\+demo\/stable\/0\/export\/conanfile\.py$/]) {
      expect(seen.some((line) => route.test(line)), `${route} among ${seen.join(", ")}`).toBe(true);
    }
  });

  it("pull.package fails when download_urls serves the recipe under another project's user", async () => {
    const fault = mapJson({ when: (ex) => get(/\/download_urls$/)(ex.path, ex.method), map: (doc) => JSON.parse(toOther(JSON.stringify(doc))) as unknown });
    const result = await runInstance(fault, "pull.package");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/the download URL GET .*\/regkit\+demo\/stable\/download_urls -> 200 answers for conanmanifest\.txt of .*@regkit\+demo\/stable is not that file's/);
    expect(result.expectation?.expected).toMatch(/\/v1\/files\/.*\/regkit\+demo\/stable\/<revision>\/export\/conanmanifest\.txt/);
    expect(result.expectation?.actual).toMatch(/\/regkit\+other\/stable\/0\/export\/conanmanifest\.txt$/);
  });

  it("push.small fails when upload_urls sends the files under another project's user", async () => {
    const fault = mapJson({ when: (ex) => ex.method === "POST" && /\/upload_urls$/.test(ex.path.split("?")[0]!), map: (doc) => JSON.parse(toOther(JSON.stringify(doc))) as unknown });
    const result = await runInstance(fault, "push.small");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/the upload URL POST .*\/regkit\+demo\/stable\/upload_urls -> 200 answers for .* is not that file's/);
    expect(result.exchanges.at(-1)?.path).toMatch(/\/upload_urls$/);
  });

  it("metadata.versions fails when the search lists the versions under another project's user", async () => {
    const fault = mapJson({ when: (ex) => get(/\/v1\/conans\/search$/)(ex.path, ex.method), map: (doc) => ({ results: ((doc as { results: string[] }).results ?? []).map((r) => r.replace("@regkit+demo/", "@regkit+other/")) }) });
    const result = await runInstance(fault, "metadata.versions");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/the versions listed for .* differ from the versions published/);
    expect(result.expectation?.actual).toMatch(/missing/);
  });
});

describe.skipIf(conanMissing !== undefined)(`the conan client's own verdict${conanMissing ? ` (${conanMissing})` : ""}`, () => {
  it("clients.roundtrip fails when a package's conaninfo.txt is not served (GitLab's empty-file rule, conanGitLabFacts.emptyFiles)", async () => {
    const fault = mapJson({
      when: (ex) => get(/\/packages\/[0-9a-f]+\/revisions\/[0-9a-f]+\/files$/)(ex.path, ex.method),
      map: (doc) => {
        const files = { ...((doc as { files: Record<string, unknown> }).files ?? {}) };
        delete files["conaninfo.txt"];
        return { files };
      },
    });
    const result = await runFaulty(fault, "clients.roundtrip");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/^conan could not install .* \(conan install/);
    expect(result.expectation?.actual).toMatch(/no conaninfo\.txt/);
  });

  it("clients.roundtrip fails when conan's upload is refused", async () => {
    const result = await runFaulty(answer(put(/\/files\/conanfile\.py$/), 403, { message: "403 Forbidden" }), "clients.roundtrip");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/^conan could not publish/);
    expect(result.expectation?.actual).toMatch(/conan upload/);
  });
});
