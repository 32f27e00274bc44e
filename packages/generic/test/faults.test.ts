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

// The reference registry's Packages API does not model hidden statuses nor
// serve package_files (docs/generic.md): those halves are checked elsewhere.
const gaps = { hiddenUnlisted: false, packageFilesApi: false };

async function runFaulty(fault: Fault | undefined, scenario: string, settings: Record<string, unknown> = {}, on = harness): Promise<ScenarioResult> {
  return resultOf(await on().run(fault, { scenarios: [scenario], settings: { ...gaps, ...settings }, seed: 42 }), scenario);
}

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

/**
 * Serves `/packages/:id/package_files` (which the reference registry lacks)
 * from the package files the uploads with select=package_file answered, each
 * passed through `change`: faithful with the identity, wrong with anything else.
 */
function packageFilesFromUploads(change: (file: Record<string, unknown>) => Record<string, unknown>): Fault {
  const stored: Record<string, unknown>[] = [];
  return (ex) => {
    if (upload(ex.path, ex.method) && ex.path.includes("select=package_file")) {
      return {
        response: (res) => {
          if (res.status === 200) stored.push(JSON.parse(res.body.toString("utf8")) as Record<string, unknown>);
          return undefined;
        },
      };
    }
    if (ex.method === "GET" && /\/packages\/\d+\/package_files/.test(ex.path)) {
      return { request: { answer: { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(stored.map(change)) } } };
    }
    return undefined;
  };
}

describe("/packages/:id/package_files", () => {
  it("generic.package-file passes when the listed file is the stored one", async () => {
    const result = await runFaulty(packageFilesFromUploads((f) => f), "generic.package-file", { packageFilesApi: true });
    expect(result.status, result.message).toBe("pass");
  });

  it("generic.package-file fails when the listed file has another SHA-256", async () => {
    const result = await runFaulty(packageFilesFromUploads((f) => ({ ...f, file_sha256: "e".repeat(64) })), "generic.package-file", { packageFilesApi: true });
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/is not listed once with its size and SHA-256/);
  });

  it("generic.package-file fails when the listed file has another id", async () => {
    const result = await runFaulty(packageFilesFromUploads((f) => ({ ...f, id: 999_999 })), "generic.package-file", { packageFilesApi: true });
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

  it("fails when the hidden version is listed by default (where the profile says it is not)", async () => {
    // The reference lists every version; with hiddenUnlisted on, the check must catch it.
    const result = await runFaulty(undefined, "generic.hidden", { hiddenUnlisted: true });
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/is listed by default/);
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
      settings: gaps,
      seed: 42,
    });
    const result = resultOf(report, "auth.matrix", "anonymous");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/publishing with no credentials: accepted/);
  });
});
