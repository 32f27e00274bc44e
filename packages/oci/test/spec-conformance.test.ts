// The distribution spec's own conformance suite (opencontainers/distribution-spec
// conformance/, built by ci/install-tools.sh as `oci-conformance`) against the
// same servers as our kit: Debian's docker-registry (htpasswd), `crane registry
// serve` and our reference registry. Each server's suite verdict (its
// results.yaml, junit.xml and report.html, kept under
// regkit-report/oci-spec-conformance/<server>/) is recorded next to our
// kit's verdict on the same server in regkit-report/oci-spec-conformance.json.
// A failure of the suite against a third-party server is data, not a failure of
// this test: the test asserts what the suite reports (pinned below, so a change
// shows) and where its verdicts and the kit's agree or part.
import { spawn } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { probeTool, runConformance, type ResultStatus, type Target } from "@regkit/core";
import { createReferenceRegistry, referenceTarget, type ReferenceRegistry } from "@regkit/registry";
import { ociKit } from "@regkit/oci";
import { ociReference } from "@regkit/oci/reference";
import { craneRegistryUnavailable, distributionUnavailable, startCraneRegistry, startDistribution, type StartedRegistry } from "../../../tooling/testing/oci-registries.mjs";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const reportDir = join(root, "regkit-report", "oci-spec-conformance");
const suiteMissing = (await probeTool("sh", ["-c", "command -v oci-conformance"])) === undefined ? "oci-conformance not found on PATH (bash tooling/ci/install-tools.sh oci builds it)" : undefined;

/** What the suite says about one server: its totals and each API and data check's verdict. */
interface SuiteVerdict {
  readonly exitCode: number;
  readonly totals: { readonly tests: number; readonly failures: number; readonly skipped: number };
  /** "Blob chunked" -> "FAIL", "Referrers" -> "Pass", ... (results.yaml `apis:`). */
  readonly apis: Readonly<Record<string, string>>;
  /** "Blobs sha512" -> "FAIL", ... (results.yaml `data:`). */
  readonly data: Readonly<Record<string, string>>;
}

/** What our kit says about the same server. */
interface KitVerdict {
  readonly counts: Readonly<Partial<Record<ResultStatus, number>>>;
  readonly byScenario: Readonly<Record<string, ResultStatus>>;
  readonly messages: Readonly<Record<string, string>>;
}

const comparison: Record<string, { suite: SuiteVerdict; kit: KitVerdict }> = {};

/** The `apis:` and `data:` maps of results.yaml (flat `  Name: Verdict` lines; no YAML library needed). */
function sections(yaml: string): { apis: Record<string, string>; data: Record<string, string> } {
  const out: { apis: Record<string, string>; data: Record<string, string> } = { apis: {}, data: {} };
  let current: Record<string, string> | undefined;
  for (const line of yaml.split("\n")) {
    if (/^\S/.test(line)) current = line.startsWith("apis:") ? out.apis : line.startsWith("data:") ? out.data : undefined;
    const entry = /^ {2}([^:]+): (\S+)\s*$/.exec(line);
    if (current && entry?.[1] && entry[2]) current[entry[1]] = entry[2];
  }
  return out;
}

/** Runs the suite against `host` (plain HTTP) with the repositories under `namespace`. */
async function runSuite(slug: string, host: string, namespace: string, username?: string, password?: string): Promise<SuiteVerdict> {
  const results = join(reportDir, slug);
  await rm(results, { recursive: true, force: true });
  await mkdir(results, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: results,
    OCI_REGISTRY: host,
    OCI_TLS: "disabled",
    OCI_REPO1: `${namespace}conformance/repo1`,
    OCI_REPO2: `${namespace}conformance/repo2`,
    OCI_RESULTS_DIR: results,
    OCI_LOG: "error",
    ...(username && password ? { OCI_USERNAME: username, OCI_PASSWORD: password } : {}),
  };
  // Not runTool: the suite's own report files are the evidence, and its exit code is its verdict.
  const child = spawn("oci-conformance", [], { cwd: results, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-200_000)));
  child.stderr.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-200_000)));
  const timer = setTimeout(() => child.kill("SIGKILL"), 240_000);
  const exitCode = await new Promise<number>((done) => child.on("exit", (code) => done(code ?? 137)));
  clearTimeout(timer);
  await writeFile(join(results, "output.txt"), output);
  const yaml = await readFile(join(results, "results.yaml"), "utf8").catch(() => "");
  const junit = await readFile(join(results, "junit.xml"), "utf8").catch(() => "");
  // The first <testsuite> carries every count (the <testsuites> wrapper leaves out a zero failures).
  const attr = (name: string): number => Number(new RegExp(`<testsuite\\s[^>]*\\b${name}="(\\d+)"`).exec(junit)?.[1] ?? 0);
  if (!yaml || !junit) throw new Error(`oci-conformance wrote no results.yaml/junit.xml for ${slug} (exit ${exitCode}): ${output.slice(-1500)}`);
  return { exitCode, totals: { tests: attr("tests"), failures: attr("failures"), skipped: attr("skipped") }, ...sections(yaml) };
}

/**
 * Our kit against the same server, under the personal credential: the oci.*
 * scenarios and the core pushes and pulls, the protocol checks the suite's
 * verdicts compare with (the real clients are drivers.test.ts's and the
 * interop tests' part).
 */
async function runKit(target: Target): Promise<KitVerdict> {
  const report = await runConformance({
    kit: ociKit,
    target: { ...target, options: { manyVersions: 10, manyPackages: 3, largeSize: 4 * 1024 * 1024, numRuns: 2, maxCommands: 6 } },
    tokenKinds: ["personal"],
    scenarios: ["oci", "push.small", "push.duplicate", "pull.package", "metadata.versions", "endpoints.audit"],
  });
  const counts: Partial<Record<ResultStatus, number>> = {};
  const byScenario: Record<string, ResultStatus> = {};
  const messages: Record<string, string> = {};
  for (const result of report.results) {
    counts[result.status] = (counts[result.status] ?? 0) + 1;
    byScenario[result.scenario] = result.status;
    if (result.message) messages[result.scenario] = result.message.slice(0, 400);
  }
  return { counts, byScenario, messages };
}

afterAll(async () => {
  if (Object.keys(comparison).length === 0) return;
  await mkdir(reportDir, { recursive: true });
  await writeFile(join(root, "regkit-report", "oci-spec-conformance.json"), `${JSON.stringify(comparison, null, 2)}\n`);
});

const referenceWhy = suiteMissing;
describe.skipIf(referenceWhy !== undefined)(`the spec's suite and the kit against the reference registry${referenceWhy ? ` (skipped: ${referenceWhy})` : ""}`, () => {
  let registry: ReferenceRegistry | undefined;
  afterAll(async () => {
    await registry?.close();
  });
  test("the suite passes every API and data check it runs, and the kit fails nothing", async () => {
    registry = await createReferenceRegistry({ formats: [ociReference] });
    const target = referenceTarget(registry, "oci");
    const url = new URL(target.registry);
    const suite = await runSuite("reference", url.host, `${url.pathname.replace(/^\/+|\/+$/g, "")}/`, registry.tokens.personalUsername, registry.tokens.personal);
    const kit = await runKit(target);
    comparison.reference = { suite, kit };
    expect(suite.exitCode, JSON.stringify(suite.apis)).toBe(0);
    expect(suite.totals.failures).toBe(0);
    expect(Object.entries({ ...suite.apis, ...suite.data }).filter(([, v]) => v === "FAIL")).toEqual([]);
    expect(kit.counts.fail ?? 0, JSON.stringify(kit.messages)).toBe(0);
    expect(kit.counts.error ?? 0, JSON.stringify(kit.messages)).toBe(0);
    expect(kit.byScenario["oci.referrers"]).toBe("pass");
  }, 600_000);
});

const distributionWhy = suiteMissing ?? (await distributionUnavailable({ auth: "htpasswd" }));
describe.skipIf(distributionWhy !== undefined)(`the spec's suite and the kit against docker-registry 2.8${distributionWhy ? ` (skipped: ${distributionWhy})` : ""}`, () => {
  let server: StartedRegistry | undefined;
  afterAll(async () => {
    await server?.close();
  });
  test("both see what 2.8 lacks: the suite fails it, the kit records it as the distribution profile's deviations", async () => {
    server = await startDistribution({ auth: "htpasswd" });
    const suite = await runSuite("docker-registry", new URL(server.url).host, "", server.username, server.password);
    const kit = await runKit({ registry: server.url, profile: "distribution", credentials: { personal: server.password, personalUsername: server.username } });
    comparison["docker-registry"] = { suite, kit };
    // The suite's verdict on 2.8 (data, pinned): no referrers API and no subject
    // handling (distribution 2.8 predates OCI 1.1), sha256 only, and an
    // out-of-order chunk accepted where the spec wants 416.
    expect(suite.exitCode).not.toBe(0);
    expect(suite.apis.Referrers).toBe("FAIL");
    expect(suite.apis["Blob chunked"]).toBe("FAIL");
    expect(suite.data["Digest Algorithm sha512"]).toBe("FAIL");
    expect(suite.data["Artifacts with Subject"]).toBe("FAIL");
    expect(suite.apis["Blob push"]).toBe("Pass");
    expect(suite.data.Image).toBe("Pass");
    // The kit on the same server: the out-of-order chunk and the unpaginated
    // tag list are the profile's recorded deviations, the referrers come
    // through the tag schema fallback, and nothing fails.
    expect(kit.counts.fail ?? 0, JSON.stringify(kit.messages)).toBe(0);
    expect(kit.byScenario["oci.chunked-upload"]).toBe("deviation");
    expect(kit.byScenario["oci.referrers"]).toBe("pass");
  }, 600_000);
});

const craneWhy = suiteMissing ?? (await craneRegistryUnavailable());
describe.skipIf(craneWhy !== undefined)(`the spec's suite and the kit against crane registry serve${craneWhy ? ` (skipped: ${craneWhy})` : ""}`, () => {
  let server: StartedRegistry | undefined;
  afterAll(async () => {
    await server?.close();
  });
  test("a second, independent implementation: both verdicts recorded side by side", async () => {
    server = await startCraneRegistry();
    const suite = await runSuite("crane-registry", new URL(server.url).host, "");
    // crane's registry has no auth: any credential writes; the distribution profile fits it best.
    const kit = await runKit({ registry: server.url, profile: "distribution", credentials: { personal: "crane-has-no-auth", personalUsername: "regkit" } });
    comparison["crane-registry"] = { suite, kit };
    // The suite's verdict on crane's registry (data, pinned): it answers the
    // basic pushes and the tag list, and fails most of the rest (a monolithic
    // POST without a Location, blob reads of what the suite pushed, bad digests
    // and broken manifests accepted).
    expect(suite.exitCode).not.toBe(0);
    expect(suite.apis.Ping).toBe("Pass");
    expect(suite.apis["Blob push"]).toBe("Pass");
    expect(suite.apis["Tag listing"]).toBe("Pass");
    expect(suite.apis["Blob post only"]).toBe("FAIL");
    expect(suite.data["Invalid Manifest Digest"]).toBe("FAIL");
    // The kit agrees where they look at the same thing: a manifest under a
    // digest not its own, a manifest naming a blob never pushed and one that is
    // not JSON are all accepted, and a PUT of a manifest has no Location; its
    // plain pushes and pulls pass.
    expect(kit.byScenario["oci.bad-digest"]).toBe("fail");
    expect(kit.byScenario["oci.manifest-blob-unknown"]).toBe("fail");
    expect(kit.byScenario["oci.bad-manifest"]).toBe("fail");
    expect(kit.byScenario["oci.manifest-digest"]).toBe("fail");
    expect(kit.byScenario["push.small"]).toBe("pass");
    expect(kit.byScenario["pull.package"]).toBe("pass");
  }, 600_000);
});
