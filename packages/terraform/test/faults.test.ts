// Every Terraform check must be able to fail: the reference registry behind a
// faulty proxy that gets one thing wrong, and the scenario that must catch it
// (status fail, with the request and expected vs got). Each scenario first runs
// through a faithful proxy (it must pass there), so a failure below is the
// fault's doing.
import { type ScenarioResult, collect } from "@regkit/core";
import { type Fault, acceptDuplicates, corruptBody, ignoreCredentials, mapJson, resultOf, truncateBody, useFaultHarness } from "@regkit/testkit";
import { describe, expect, it } from "vitest";
import { terraformKit } from "@regkit/terraform";
import { terraformReference } from "@regkit/terraform/reference";

const harness = useFaultHarness(terraformKit, terraformReference);
// A 1 MiB archive limit, so push.over-limit stays cheap (GitLab's default is 1 GiB).
const limited = useFaultHarness(terraformKit, terraformReference, { registry: { limits: { terraform: { maxFileSize: 1024 * 1024 } } } });
const tofu = await terraformKit.drivers[0]!.unavailable();

async function runFaulty(fault: Fault | undefined, scenario: string): Promise<ScenarioResult> {
  return resultOf(await harness().run(fault, { scenarios: [scenario], seed: 42 }), scenario);
}

const isFile = (path: string, method: string) => method === "GET" && /\/file\?/.test(path);
const isDownload = (path: string, method: string) => method === "GET" && /\/download(\?|$)/.test(path);
const isVersions = (path: string, method: string) => method === "GET" && /\/versions(\?|$)/.test(path);
const isUpload = (path: string, method: string) => method === "PUT" && /\/modules\/.*\/file$/.test(path);

/** Answers matching requests with `status` and a JSON message, without forwarding them. */
function answer(when: (path: string, method: string) => boolean, status: number, body: unknown = { message: `${status}` }): Fault {
  return (ex) => (when(ex.path, ex.method) ? { request: { answer: { status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) } } } : undefined);
}

/** Changes a header of matching answers (`null` removes it). */
function header(when: (path: string, method: string) => boolean, name: string, value: (old: string | undefined) => string | null): Fault {
  return (ex) =>
    when(ex.path, ex.method)
      ? {
          response: (res) => {
            const headers: Record<string, string> = { ...res.headers };
            const next = value(headers[name]);
            if (next === null) delete headers[name];
            else headers[name] = next;
            return { headers };
          },
        }
      : undefined;
}

/** Turns matching refusals with `from` into 201 Created: a registry that stores what it should refuse. */
function accepting(when: (path: string, method: string) => boolean, from: number): Fault {
  return (ex) =>
    when(ex.path, ex.method)
      ? { response: (res) => (res.status === from ? { status: 201, headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "201 Created" }) } : undefined) }
      : undefined;
}

/** The last exchange of a result, as `METHOD path -> status`. */
function lastRequest(result: ScenarioResult): string {
  const e = result.exchanges.at(-1);
  return e ? `${e.method} ${e.path.split("?")[0]} -> ${e.status}` : "none";
}

describe("Terraform checks pass through a faithful proxy (the baseline)", () => {
  for (const scenario of ["pull.package", "metadata.versions", "push.duplicate", "terraform.names", "terraform.download-token", "terraform.latest", ...(tofu ? [] : ["clients.roundtrip"])]) {
    it(scenario, async () => {
      const result = await runFaulty(undefined, scenario);
      expect(result.status, result.message).toBe("pass");
    });
  }
});

describe("the module registry protocol", () => {
  it("pull.package fails when the archive served differs from the one published", async () => {
    const result = await runFaulty(corruptBody({ when: (ex) => isFile(ex.path, ex.method) }), "pull.package");
    expect(result.status).toBe("fail");
    expect(result.expectation?.expected).toMatch(/sha|digest|bytes/i);
    expect(lastRequest(result)).toMatch(/^GET \/api\/v4\/packages\/terraform\/modules\/v1\/regkit\/.*\/1\.0\.0\/file -> 200$/);
  });

  it("pull.package does not pass on a truncated archive", async () => {
    const result = await runFaulty(truncateBody({ when: (ex) => isFile(ex.path, ex.method) }), "pull.package");
    expect(["fail", "error"]).toContain(result.status);
  });

  it("pull.package fails when the download answer has no X-Terraform-Get", async () => {
    const result = await runFaulty(header(isDownload, "x-terraform-get", () => null), "pull.package");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/has no X-Terraform-Get/);
    expect(result.expectation).toEqual({ expected: "204 with X-Terraform-Get: <archive URL>", actual: "status 204 without the header" });
    expect(lastRequest(result)).toMatch(/\/1\.0\.0\/download -> 204$/);
  });

  it("pull.package fails when X-Terraform-Get names a source the protocol cannot fetch over HTTP", async () => {
    const result = await runFaulty(header(isDownload, "x-terraform-get", () => "git::ssh://example.invalid/module.git"), "pull.package");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/not an HTTP URL/);
  });

  it("pull.package fails when the registry serves no discovery document", async () => {
    const result = await runFaulty(answer((p) => p.startsWith("/.well-known/terraform.json"), 404, { message: "404 Not Found" }), "pull.package");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/serves no Terraform service discovery document/);
    expect(lastRequest(result)).toBe("GET /.well-known/terraform.json -> 404");
  });

  it("pull.package fails when the discovery document announces no modules.v1", async () => {
    const result = await runFaulty(mapJson({ when: (ex) => ex.path.startsWith("/.well-known/terraform.json"), map: () => ({ "providers.v1": "/v1/providers/" }) }), "pull.package");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/announces no modules.v1/);
  });

  it("metadata.versions fails when versions leaves a version out", async () => {
    const fault = mapJson({
      when: (ex) => isVersions(ex.path, ex.method),
      map: (doc) => {
        const modules = (doc as { modules?: { versions?: unknown[] }[] }).modules;
        return modules?.[0]?.versions ? { modules: [{ ...modules[0], versions: modules[0].versions.slice(1) }] } : doc;
      },
    });
    const result = await runFaulty(fault, "metadata.versions");
    expect(result.status).toBe("fail");
    expect(lastRequest(result)).toMatch(/\/versions -> 200$/);
  });

  it("metadata.versions fails when versions is not the protocol's shape", async () => {
    const result = await runFaulty(mapJson({ when: (ex) => isVersions(ex.path, ex.method), map: (doc) => ({ versions: (doc as { modules: { versions: unknown[] }[] }).modules[0]?.versions ?? [] }) }), "metadata.versions");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/not the module registry protocol's shape/);
    expect(result.expectation?.expected).toBe('{"modules":[{"versions":[{"version":"…"}]}]}');
  });
});

describe("uploads and credentials", () => {
  it("push.over-limit passes against the faithful registry (1 MiB limit)", async () => {
    const result = resultOf(await limited().run(undefined, { scenarios: ["push.over-limit"], seed: 42 }), "push.over-limit");
    expect(result.status, result.message).toBe("pass");
  });

  it("push.over-limit fails when an archive over the limit is stored", async () => {
    const result = resultOf(await limited().run(accepting(isUpload, 400), { scenarios: ["push.over-limit"], seed: 42 }), "push.over-limit");
    expect(result.status).toBe("fail");
    expect(lastRequest(result)).toMatch(/^(PUT .*\/file -> 201|GET .*\/versions -> 200)$/);
  });

  it("push.duplicate fails when a version is accepted twice", async () => {
    const result = await runFaulty(acceptDuplicates(), "push.duplicate");
    expect(result.status).toBe("fail");
    expect(lastRequest(result)).toMatch(/^PUT .*\/file -> 201$/);
  });

  it("push.duplicate fails when the duplicate is refused with another status than GitLab's 403", async () => {
    const refuseAs400: Fault = (ex) => (isUpload(ex.path, ex.method) ? { response: (res) => (res.status === 403 ? { status: 400 } : undefined) } : undefined);
    const result = await runFaulty(refuseAs400, "push.duplicate");
    expect(result.status).toBe("fail");
    expect(result.expectation?.actual).toBe("status 400");
  });

  it("auth.matrix fails when uploads without valid credentials are stored", async () => {
    const h = harness();
    const report = await h.run(ignoreCredentials({ validTokens: [h.registry.tokens.personal, h.registry.tokens.deploy, h.registry.tokens.job] }), {
      scenarios: ["auth.matrix"],
      tokenKinds: ["personal", "anonymous"],
      seed: 42,
    });
    const result = resultOf(report, "auth.matrix", "anonymous");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/publishing with no credentials: accepted/);
  });

  it("auth.matrix fails when reads take an invalid token", async () => {
    const h = harness();
    const fault = ignoreCredentials({ when: (ex) => ex.method === "GET" && ex.path.includes("/modules/v1/"), as: { authorization: `Bearer ${h.registry.tokens.personal}` } });
    const report = await h.run(fault, { scenarios: ["auth.matrix"], tokenKinds: ["personal", "invalid"], seed: 42 });
    const result = resultOf(report, "auth.matrix", "invalid");
    expect(result.status).toBe("fail");
  });
});

describe("Terraform's own checks", () => {
  it("terraform.names fails when non-SemVer versions are accepted", async () => {
    const result = await runFaulty(accepting(isUpload, 400), "terraform.names");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/non-SemVer version .*: accepted/);
    expect(result.expectation?.expected).toMatch(/400/);
  });

  it("terraform.names fails when invalid module names are accepted", async () => {
    const result = await runFaulty(accepting(isUpload, 422), "terraform.names");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/module name .*: accepted/);
  });

  it("terraform.names fails when valid SemVer versions are refused", async () => {
    const result = await runFaulty(answer((p, m) => isUpload(p, m) && p.includes("-semver-"), 400, { error: "module_version is invalid" }), "terraform.names");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/was refused/);
  });

  it("terraform.download-token fails when X-Terraform-Get carries no token", async () => {
    const result = await runFaulty(header(isDownload, "x-terraform-get", (old) => (old ?? "").replace(/token=[^&]*&?/, "")), "terraform.download-token");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/carries no token/);
  });

  it("terraform.download-token fails when the archive is served without its token", async () => {
    const leak: Fault = (ex) => (ex.method === "GET" && /\/file\?token=(&|$)/.test(ex.path) ? { request: { answer: { status: 200, headers: { "content-type": "application/octet-stream" }, body: "leaked" } } } : undefined);
    const result = await runFaulty(leak, "terraform.download-token");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/without its token was served/);
    expect(result.expectation).toEqual({ expected: "one of 401, 403, 404", actual: "status 200" });
  });

  it("terraform.download-token fails when a forged token is taken", async () => {
    const forged = Buffer.from("regkit-forged").toString("base64url");
    const leak: Fault = (ex) => (ex.method === "GET" && ex.path.includes(forged) ? { request: { answer: { status: 200, headers: { "content-type": "application/octet-stream" }, body: "leaked" } } } : undefined);
    const result = await runFaulty(leak, "terraform.download-token");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/with a forged token was served/);
  });

  it("terraform.download-token fails when the archive URL needs the registry credentials", async () => {
    const result = await runFaulty(answer(isFile, 401, { message: "401 Unauthorized" }), "terraform.download-token");
    expect(["fail", "error"]).toContain(result.status);
    expect(result.message).toMatch(/X-Terraform-Get URL/);
  });

  it("terraform.latest fails when the latest is taken by publish order", async () => {
    const result = await runFaulty(header((p, m) => m === "GET" && /\/local\/download$/.test(p), "location", (old) => (old ?? "").replace(/\/[^/]+\/download$/, "/1.10.0-rc.1/download")), "terraform.latest");
    expect(result.status).toBe("fail");
    expect(result.expectation?.expected).toMatch(/^302 to …\/1\.10\.0\/download$/);
  });
});

// Each installer alone (a kit with that one driver), so each must give its own verdict.
for (const driver of terraformKit.drivers) {
  const why = await driver.unavailable();
  const alone = useFaultHarness({ ...terraformKit, drivers: [driver] }, terraformReference);
  describe.skipIf(why !== undefined)(`${driver.name}'s own verdict${why ? ` (${why})` : ""}`, () => {
    it(`clients.roundtrip fails when the archive ${driver.name} gets is corrupted`, async () => {
      const result = resultOf(await alone().run(corruptBody({ when: (ex) => isFile(ex.path, ex.method) }), { scenarios: ["clients.roundtrip"], seed: 42 }), "clients.roundtrip");
      expect(result.status).toBe("fail");
      expect(result.clients?.map((c) => [c.name, c.status])).toEqual([[driver.name, "fail"]]);
    }, 120_000);

    it(`clients.roundtrip fails when ${driver.name} cannot find the version`, async () => {
      const result = resultOf(await alone().run(mapJson({ when: (ex) => isVersions(ex.path, ex.method), map: () => ({ modules: [{ versions: [] }] }) }), { scenarios: ["clients.roundtrip"], seed: 42 }), "clients.roundtrip");
      expect(result.status).toBe("fail");
      expect(result.expectation?.actual).toMatch(/exit code 1/);
    }, 120_000);
  });
}

describe.skipIf(tofu !== undefined)(`tofu's own verdict on other bytes${tofu ? ` (${tofu})` : ""}`, () => {
  it("clients.roundtrip fails when tofu installs another module than the one published (a valid archive, other bytes)", async () => {
    const other = await terraformKit.build({ name: "regkit-other/local", version: "9.9.9", description: "not the module published" });
    const bytes = Buffer.from(other.content.bytes ?? (await collect(other.content.stream())));
    const swap: Fault = (ex) => (isFile(ex.path, ex.method) ? { response: () => ({ body: bytes }) } : undefined);
    const result = await runFaulty(swap, "clients.roundtrip");
    expect(result.status).toBe("fail");
    expect(result.message).not.toMatch(/could not install/);
  }, 120_000);
});
