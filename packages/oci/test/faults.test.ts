// The OCI kit catches registries that get the distribution spec wrong: each
// fault is injected by a proxy in front of the reference registry (GitLab
// profile), and the test names the scenario that must fail and what its report
// must say (expected, actual, the request).
import { describe, expect, test } from "vitest";
import { ociKit } from "@regkit/oci";
import { ociReference } from "@regkit/oci/reference";
import { corruptBody, ignoreCredentials, resultOf, truncateBody, useFaultHarness, type Fault, type FaultExchange } from "@regkit/testkit";

const harness = useFaultHarness(ociKit, ociReference);

const route = (method: string, pattern: RegExp) => (e: FaultExchange): boolean => e.method === method && pattern.test(e.path.split("?")[0]!);
const isBlobGet = route("GET", /\/blobs\/sha256:[a-f0-9]{64}$/);
const isManifestGet = route("GET", /\/manifests\/[^/]+$/);
const ZERO = `sha256:${"0".repeat(64)}`;

/** Answers matching requests here, with a spec error body or none, without forwarding them. */
function answer(when: (e: FaultExchange) => boolean, status: number, headers: Record<string, string> = {}, body = ""): Fault {
  return (e) => (when(e) ? { request: { answer: { status, headers: { "content-type": "application/json", ...headers }, body } } } : undefined);
}

/** Changes one response header of matching responses. */
function header(when: (e: FaultExchange) => boolean, name: string, value: (old: string | undefined) => string | undefined): Fault {
  return (e) =>
    when(e)
      ? {
          response: (res) => {
            const headers: Record<string, string> = { ...res.headers };
            const next = value(headers[name]);
            if (next === undefined) delete headers[name];
            else headers[name] = next;
            return { headers };
          },
        }
      : undefined;
}

/** Rewrites matching JSON answers; drops Link and Docker-Content-Digest (they described the original). */
function rewriteJson(when: (e: FaultExchange) => boolean, map: (doc: Record<string, unknown>) => unknown): Fault {
  return (e) =>
    when(e)
      ? {
          response: (res) => {
            if (res.status !== 200) return undefined;
            const doc = JSON.parse(res.body.toString("utf8")) as Record<string, unknown>;
            const headers = Object.fromEntries(Object.entries(res.headers).filter(([k]) => k !== "link" && k !== "docker-content-digest"));
            return { headers, body: JSON.stringify(map(doc)) };
          },
        }
      : undefined;
}

async function failed(fault: Fault, scenario: string, run: { settings?: Record<string, unknown> } = {}) {
  const r = resultOf(await harness().run(fault, { scenarios: [scenario], ...run }), scenario);
  return r;
}

describe("OCI faults are caught by the right scenario", () => {
  test("a corrupted layer: pull.package fails, the blob does not match its descriptor", async () => {
    const r = await failed(corruptBody({ when: isBlobGet }), "pull.package");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/does not match its descriptor/);
    expect(r.exchanges.some((e) => e.method === "GET" && /\/blobs\/sha256:/.test(e.path))).toBe(true);
  });

  test("a truncated layer: push.small reports the truncation with the request", async () => {
    const r = await failed(truncateBody({ when: isBlobGet }), "push.small");
    expect(["fail", "error"]).toContain(r.status);
    expect(r.message).toMatch(/truncated|broke off/);
  });

  test("a wrong Docker-Content-Digest on a manifest: oci.manifest-digest fails naming both digests", async () => {
    const r = await failed(header(isManifestGet, "docker-content-digest", () => ZERO), "oci.manifest-digest");
    expect(r.status).toBe("fail");
    expect(r.expectation?.actual).toBe(`Docker-Content-Digest: ${ZERO}`);
  });

  test("HEAD announcing another digest than GET: oci.manifest-digest fails", async () => {
    const r = await failed(header(route("HEAD", /\/manifests\/[^/]+$/), "docker-content-digest", () => ZERO), "oci.manifest-digest");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/HEAD of the manifest/);
    expect(r.expectation?.actual).toBe(ZERO);
  });

  test("a manifest served as application/json: oci.accept fails on the Content-Type", async () => {
    const r = await failed(header(isManifestGet, "content-type", () => "application/json"), "oci.accept");
    expect(r.status).toBe("fail");
    expect(r.expectation?.actual).toBe("Content-Type: application/json");
  });

  test("tags/list that ignores n and sends no Link: oci.tags-pagination fails (the gitlab profile records no deviation)", async () => {
    const fault = rewriteJson(route("GET", /\/tags\/list$/), (doc) => ({ ...doc, tags: ["t-a", "t-b", "t-c", "t-d", "t-e"] }));
    const r = await failed(fault, "oci.tags-pagination");
    expect(r.status).toBe("fail");
    expect(r.expectation).toEqual({ expected: "at most 2 tags", actual: "5 tags [t-a, t-b, t-c, t-d, t-e]" });
  });

  test("the referrers tag schema losing the artifact: oci.referrers fails", async () => {
    const fault = rewriteJson(route("GET", /\/manifests\/sha256-[a-f0-9]{64}$/), (doc) => ({ ...doc, manifests: [] }));
    const r = await failed(fault, "oci.referrers");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/does not list the artifact/);
  });

  test("a referrers API that answers 404 where the profile says it has one: oci.referrers fails", async () => {
    const r = await failed(answer(route("GET", /\/referrers\/sha256:[a-f0-9]{64}$/), 404, {}, '{"errors":[{"code":"NAME_UNKNOWN","message":"x"}]}'), "oci.referrers", { settings: { referrers: true } });
    expect(r.status).toBe("fail");
    expect(r.expectation?.actual).toMatch(/status 404/);
  });

  test("a wrong error code for a digest mismatch: oci.bad-digest fails naming DIGEST_INVALID", async () => {
    const fault: Fault = (e) =>
      route("PUT", /\/manifests\/sha256:[a-f0-9]{64}$/)(e)
        ? { response: (res) => (res.status === 400 ? { body: res.body.toString("utf8").replaceAll("DIGEST_INVALID", "MANIFEST_INVALID") } : undefined) }
        : undefined;
    const r = await failed(fault, "oci.bad-digest");
    expect(r.status).toBe("fail");
    expect(r.expectation?.expected).toMatch(/DIGEST_INVALID/);
    expect(r.exchanges.at(-1)?.method).toBe("PUT");
  });

  test("a manifest with a missing blob accepted: oci.manifest-blob-unknown fails", async () => {
    const r = await failed(answer(route("PUT", /\/manifests\/broken$/), 201), "oci.manifest-blob-unknown");
    expect(r.status).toBe("fail");
    expect(r.expectation).toMatchObject({ expected: "status 400 with MANIFEST_BLOB_UNKNOWN", actual: "status 201" });
  });

  test("an upload closed with half the bytes accepted: oci.upload-cut fails", async () => {
    const r = await failed(answer(route("PUT", /\/blobs\/uploads\/[^/]+$/), 201), "oci.upload-cut");
    expect(r.status).toBe("fail");
    expect(r.expectation?.actual).toBe("status 201");
  });

  test("a manifest that is not JSON accepted: oci.bad-manifest fails", async () => {
    const r = await failed(answer(route("PUT", /\/manifests\/notjson$/), 201), "oci.bad-manifest");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/not JSON/);
  });

  test("an out-of-order chunk taken: oci.chunked-upload fails (416 expected)", async () => {
    let patches = 0;
    const fault: Fault = (e) => {
      if (!route("PATCH", /\/blobs\/uploads\/[^/]+$/)(e)) return undefined;
      patches += 1;
      // The second PATCH of the scenario is the out-of-order one.
      return patches === 2 ? { request: { answer: { status: 202, headers: { location: e.path, range: "0-65535" } } } } : undefined;
    };
    const r = await failed(fault, "oci.chunked-upload");
    expect(r.status).toBe("fail");
    expect(r.expectation).toMatchObject({ expected: "status 416", actual: "status 202" });
  });

  test("Range ignored on blobs: oci.blob-range fails", async () => {
    const r = await failed((e) => (isBlobGet(e) ? { request: { headers: { range: null } } } : undefined), "oci.blob-range");
    expect(r.status).toBe("fail");
    expect(r.expectation?.expected).toBe("status 206");
  });

  test("a mount that answers 201 without mounting: oci.mount fails on the missing blob", async () => {
    const r = await failed(answer((e) => e.method === "POST" && e.path.includes("mount="), 201, { location: "/v2/nowhere" }), "oci.mount");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/mounted blob/);
  });

  test("a delete that answers 202 and deletes nothing: oci.delete fails", async () => {
    const r = await failed(answer(route("DELETE", /\/manifests\/sha256:[a-f0-9]{64}$/), 202), "oci.delete");
    expect(r.status).toBe("fail");
    expect(r.expectation?.actual).toMatch(/status 200/);
  });

  test("a challenge without scope: oci.token-flow fails", async () => {
    const r = await failed(header(() => true, "www-authenticate", (old) => old?.replace(/,\s*scope="[^"]*"/, "")), "oci.token-flow");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/scope/);
  });

  test("an index whose manifests are not served by digest: oci.index fails", async () => {
    let tagPulled = false;
    const fault: Fault = (e) => {
      if (route("GET", /\/manifests\/multi$/)(e)) tagPulled = true;
      // Once the index was pulled, its children "vanish".
      return tagPulled && route("GET", /\/manifests\/sha256:[a-f0-9]{64}$/)(e) ? { request: { answer: { status: 404, body: '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"x"}]}' } } } : undefined;
    };
    const r = await failed(fault, "oci.index");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/not served by digest/);
  });

  test("generated manifests pulled back with other bytes: oci.manifest-properties fails with a replayable counterexample", async () => {
    const r = await failed(corruptBody({ when: isManifestGet }), "oci.manifest-properties");
    expect(r.status).toBe("fail");
    expect(r.replay?.seed).toBe(4242);
    expect(r.message).toMatch(/counterexample/);
  });

  test("a registry that takes pushes without credentials: auth.matrix fails for anonymous", async () => {
    const report = await harness().run(ignoreCredentials({ when: (e) => e.path.startsWith("/v2/") }), { scenarios: ["auth.matrix"], tokenKinds: ["personal", "anonymous"] });
    const r = resultOf(report, "auth.matrix", "anonymous");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/publishing with no credentials/);
  });

  test("no false alarm: a token refused once as expired is renewed, and push.small passes", async () => {
    let refused = 0;
    const fault: Fault = (e) => {
      if (refused > 0 || !isManifestGet(e) || !/^Bearer /.test(e.headers.authorization ?? "")) return undefined;
      refused += 1;
      const realm = `${harness().registry.url}/jwt/auth`;
      const challenge = `Bearer realm="${realm}",service="container_registry",error="invalid_token"`;
      return { request: { answer: { status: 401, headers: { "www-authenticate": challenge }, body: '{"errors":[{"code":"UNAUTHORIZED","message":"token expired"}]}' } } };
    };
    const r = await failed(fault, "push.small");
    expect(refused).toBe(1);
    expect(r.status).toBe("pass");
  });
});
