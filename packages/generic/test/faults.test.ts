// Every Generic check must be able to fail: the reference registry behind a
// faulty proxy that gets one thing wrong, and the scenario that must catch it.
// Each case first runs through a faithful proxy (it must pass there), so a
// failure below is the fault's doing.
import type { ScenarioResult } from "@regkit/core";
import { type Fault, acceptDuplicates, corruptBody, ignoreCredentials, mapJson, resultOf, truncateBody, useFaultHarness } from "@regkit/testkit";
import { describe, expect, it } from "vitest";
import { genericKit } from "@regkit/generic";
import { createGenericReference, genericReference } from "@regkit/generic/reference";

const harness = useFaultHarness(genericKit, genericReference);
// A group that allows duplicates except for packages matching `-keep$`.
const excepting = useFaultHarness(genericKit, createGenericReference({ duplicateExceptionRegex: "-keep$" }));

// The reference registry's Packages API leaves hidden versions out of its list
// and serves /packages/:id/package_files, as GitLab does: both halves of
// generic.hidden and generic.package-file run here with the profile's defaults.
async function runFaulty(fault: Fault | undefined, scenario: string, settings: Record<string, unknown> = {}, on = harness): Promise<ScenarioResult> {
  return resultOf(await on().run(fault, { scenarios: [scenario], settings, seed: 42 }), scenario);
}

/** A GET of the Packages API's list (`/projects/:id/packages?...`). */
const packageList = (path: string, method: string) => method === "GET" && /\/projects\/[^/]+\/packages\?/.test(path);

/** A GET of a package file (not the Packages API). */
const fileGet = (path: string, method: string) => method === "GET" && path.includes("/packages/generic/");
const upload = (path: string, method: string) => method === "PUT" && path.includes("/packages/generic/");

/** Answers matching requests with `status` and a JSON message, without forwarding them. */
function answer(when: (path: string, method: string) => boolean, status: number, body: unknown = { message: `${status}` }): Fault {
  return (ex) => (when(ex.path, ex.method) ? { request: { answer: { status, headers: { "content-type": "application/json" }, body: JSON.stringify(body) } } } : undefined);
}

/** Changes a header of matching successful answers (`null` removes it). */
function header(when: (path: string, method: string) => boolean, name: string, value: string | null): Fault {
  return (ex) =>
    when(ex.path, ex.method)
      ? {
          response: (res) => {
            if (res.status !== 200) return undefined;
            const headers: Record<string, string> = { ...res.headers };
            if (value === null) delete headers[name];
            else headers[name] = value;
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

describe("Generic checks pass through a faithful proxy (the baseline)", () => {
  for (const scenario of ["pull.package", "generic.package-file", "generic.hidden", "generic.names", "generic.paths", "clients.roundtrip", "metadata.versions"]) {
    it(scenario, async () => {
      const result = await runFaulty(undefined, scenario);
      expect(result.status, result.message).toBe("pass");
    });
  }
  it("generic.duplicate-exception", async () => {
    const result = await runFaulty(undefined, "generic.duplicate-exception", { duplicateExceptionRegex: "-keep$" }, excepting);
    expect(result.status, result.message).toBe("pass");
  });
  // GitLab cannot delete a hidden package by id; the scenario makes it default
  // again before cleanup, so the run leaves nothing behind.
  it("generic.hidden leaves nothing behind", async () => {
    const { registry } = harness();
    const report = await harness().run(undefined, { scenarios: ["generic.hidden"], seed: 42 });
    expect(resultOf(report, "generic.hidden").status).toBe("pass");
    expect(report.cleanup.left).toEqual([]);
    // Asked for hidden versions of this run's packages in particular: none remain.
    const project = registry.projects[0]!.id;
    const res = await fetch(`${registry.url}/api/v4/projects/${project}/packages?package_type=generic&status=hidden&package_name=${report.runId}`, {
      headers: { "PRIVATE-TOKEN": registry.tokens.personal },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([]);
  });
});

describe("downloads: bytes and X-Checksum-SHA256", () => {
  it("pull.package fails when the bytes served differ from the checksum header", async () => {
    const result = await runFaulty(corruptBody({ when: (ex) => fileGet(ex.path, ex.method) }), "pull.package");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/does not match its x-checksum-sha256/);
    expect(result.exchanges.at(-1)?.method).toBe("GET");
  });

  it("pull.package fails when the checksum header is wrong", async () => {
    const result = await runFaulty(header(fileGet, "x-checksum-sha256", "0".repeat(64)), "pull.package");
    expect(result.status).toBe("fail");
    expect(result.expectation?.expected).toBe(`sha256 ${"0".repeat(64)} (the header)`);
  });

  it("pull.package fails when GitLab's checksum header is missing", async () => {
    const result = await runFaulty(header(fileGet, "x-checksum-sha256", null), "pull.package");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/served without x-checksum-sha256/);
  });

  it("pull.package does not pass on a truncated download", async () => {
    const result = await runFaulty(truncateBody({ when: (ex) => fileGet(ex.path, ex.method) }), "pull.package");
    expect(["fail", "error"]).toContain(result.status);
  });

  it("generic.paths fails when a file under a directory path is not served", async () => {
    const result = await runFaulty(answer((p, m) => m === "GET" && p.includes("/dir/sub/"), 404, { message: "404 Not found" }), "generic.paths");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/dir\/sub\/file\.txt of .* is not served/);
  });
});

describe("curl's own verdict", () => {
  it("clients.roundtrip fails when curl's download is truncated (curl exits 18)", async () => {
    const result = await runFaulty(truncateBody({ when: (ex) => fileGet(ex.path, ex.method) }), "clients.roundtrip");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/^curl could not download/);
    expect(result.expectation?.actual).toMatch(/^exit code 18/);
  });

  it("clients.roundtrip fails when the file curl gets does not match X-Checksum-SHA256", async () => {
    const result = await runFaulty(corruptBody({ when: (ex) => fileGet(ex.path, ex.method) }), "clients.roundtrip");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/curl downloaded does not match its x-checksum-sha256/);
  });

  it("clients.roundtrip fails when curl's upload is refused (curl exits 22 with --fail-with-body)", async () => {
    const result = await runFaulty(answer(upload, 403, { message: "403 Forbidden" }), "clients.roundtrip");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/^curl could not publish/);
    expect(result.expectation?.actual).toMatch(/exit 22/);
  });
});

describe("select=package_file", () => {
  it("fails when the stored file's SHA-256 differs from the bytes sent", async () => {
    const fault = mapJson({
      when: (ex) => upload(ex.path, ex.method) && ex.path.includes("select=package_file"),
      map: (doc) => ({ ...(doc as Record<string, unknown>), file_sha256: "f".repeat(64) }),
    });
    const result = await runFaulty(fault, "generic.package-file");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/reports differs from the bytes uploaded/);
  });

  it("fails when the answer is 201 without the package file", async () => {
    const result = await runFaulty(answer((p, m) => upload(p, m) && p.includes("select=package_file"), 201, { message: "201 Created" }), "generic.package-file");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/without the stored file/);
  });

  it("fails when an unknown select value is accepted", async () => {
    const result = await runFaulty(accepting((p, m) => upload(p, m) && p.includes("select=everything"), 400), "generic.package-file");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/select=everything: accepted/);
  });

  it("fails when a plain upload answers 200 instead of 201", async () => {
    const result = await runFaulty(answer((p, m) => upload(p, m) && p.includes("/plain.txt"), 200, {}), "generic.package-file");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/without select answered 200/);
  });
});

/** Changes every file of the reference's `/packages/:id/package_files` answers with `change`. */
function packageFiles(change: (file: Record<string, unknown>) => Record<string, unknown>): Fault {
  return mapJson({
    when: (ex) => ex.method === "GET" && /\/packages\/\d+\/package_files/.test(ex.path),
    map: (doc) => (Array.isArray(doc) ? doc.map((f: Record<string, unknown>) => change(f)) : doc),
  });
}

describe("/packages/:id/package_files", () => {
  it("generic.package-file fails when the listed file has another SHA-256", async () => {
    const result = await runFaulty(packageFiles((f) => ({ ...f, file_sha256: "e".repeat(64) })), "generic.package-file");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/is not listed once with its size and SHA-256/);
  });

  it("generic.package-file fails when the listed file has another size", async () => {
    const result = await runFaulty(packageFiles((f) => ({ ...f, size: Number(f.size) + 1 })), "generic.package-file");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/is not listed once with its size and SHA-256/);
  });

  it("generic.package-file fails when the listed file has another id than the upload answered", async () => {
    const result = await runFaulty(packageFiles((f) => ({ ...f, id: Number(f.id) + 1 })), "generic.package-file");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/not the id the Packages API lists/);
  });

  it("generic.package-file fails when the upload's id is not the listed one", async () => {
    const fault = mapJson({ when: (ex) => upload(ex.path, ex.method) && ex.path.includes("select=package_file"), map: (doc) => ({ ...(doc as Record<string, unknown>), id: 1 }) });
    const result = await runFaulty(fault, "generic.package-file");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/not the id the Packages API lists/);
  });
});

describe("status=hidden", () => {
  it("fails when a hidden package is not downloadable", async () => {
    const result = await runFaulty(answer((p, m) => m === "GET" && p.includes("-hidden-"), 404, { message: "404 Not found" }), "generic.hidden");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/is not served: GET .* -> 404/);
  });

  it("fails when an unknown status is accepted", async () => {
    const result = await runFaulty(accepting((p, m) => upload(p, m) && p.includes("status=processing"), 400), "generic.hidden");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/status=processing: accepted/);
  });

  it("fails when the hidden version is listed by default", async () => {
    // A registry that ignores the status in its default list: the hidden 1.0.0 shows up there.
    const fault = mapJson({
      when: (ex) => packageList(ex.path, ex.method) && !/[?&]status=/.test(ex.path) && ex.path.includes("-hidden-"),
      map: (doc, ex) => {
        const name = new URLSearchParams(ex.path.slice(ex.path.indexOf("?") + 1)).get("package_name") ?? "";
        return Array.isArray(doc) ? [...doc, { id: 1, name, version: "1.0.0", package_type: "generic", status: "hidden", created_at: new Date().toISOString() }] : doc;
      },
    });
    const result = await runFaulty(fault, "generic.hidden");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/is listed by default/);
  });

  it("fails when the hidden version is not listed with status=hidden", async () => {
    const fault = mapJson({ when: (ex) => packageList(ex.path, ex.method) && ex.path.includes("status=hidden"), map: (doc) => (Array.isArray(doc) ? [] : doc) });
    const result = await runFaulty(fault, "generic.hidden");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/is not listed with status=hidden/);
  });
});

describe("names, versions and file names", () => {
  it("generic.names fails when invalid names are accepted", async () => {
    const result = await runFaulty(accepting(upload, 400), "generic.names");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/uploading with an invalid (package_name|package_version|file_name)/);
    expect(result.replay?.seed).toBeDefined();
  });

  it("generic.names fails when valid names are refused", async () => {
    const result = await runFaulty(answer(upload, 400, { error: "package_name is invalid" }), "generic.names");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/was refused/);
  });
});

describe("duplicates", () => {
  it("generic.duplicate-exception fails when a package the pattern matches takes duplicates", async () => {
    const result = await runFaulty(acceptDuplicates(), "generic.duplicate-exception", { duplicateExceptionRegex: "-keep$" }, excepting);
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/matched by -keep\$/);
  });

  it("generic.duplicate-exception fails when the pattern is ignored the other way (duplicates refused everywhere)", async () => {
    const refuseSecond: Fault = (() => {
      const seen = new Set<string>();
      return (ex) => {
        if (!upload(ex.path, ex.method)) return undefined;
        const key = ex.path.split("?")[0]!;
        if (!seen.has(key)) {
          seen.add(key);
          return undefined;
        }
        return { request: { answer: { status: 400, headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "400 Bad request - Duplicate package is not allowed" }) } } };
      };
    })();
    const result = await runFaulty(refuseSecond, "generic.duplicate-exception", { duplicateExceptionRegex: "-keep$" }, excepting);
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/not matched/);
  });
});

describe("versions through the Packages API, and credentials", () => {
  it("metadata.versions fails when the Packages API leaves a version out", async () => {
    const fault = mapJson({
      when: (ex) => ex.method === "GET" && /\/packages\?/.test(ex.path) && ex.path.includes("package_type=generic"),
      map: (doc) => (Array.isArray(doc) ? doc.slice(1) : doc),
    });
    const result = await runFaulty(fault, "metadata.versions");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/versions listed .* differ/);
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
});
