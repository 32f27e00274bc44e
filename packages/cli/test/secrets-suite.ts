// No secret leaks anywhere (shared by secrets.<n>.test.ts, each over a share
// of the kits, so the shares run in processes of their own, two at once):
// every kit runs against the reference registry (every format) with every token kind, once straight and once through a
// registry that echoes the credentials it receives into its answers (bodies,
// error messages, headers), with the real clients; every reporter writes its
// report, the CLI binary runs once too; then all of it (console text, every
// file written, the CLI's stdout and stderr, the reports in memory with the
// real clients' output, and each real client's whole output run directly, the
// registry's log) is searched for every token the registry issued and the
// made-up invalid token, raw, URL-encoded and in Base64 (alone and as Basic
// `user:token`).
import { spawn } from "node:child_process";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  ALL_TOKEN_KINDS,
  credentialFor,
  parseReporterSpec,
  resolveTarget,
  runConformance,
  targetSecrets,
  type Reporter,
  type RunReport,
  type Target,
} from "@regkit/core";
import type { FormatKit } from "@regkit/core";
import { kits as allKits, referenceFormats } from "@regkit/cli";
import { createReferenceRegistry, referenceTarget, type ReferenceRegistry } from "@regkit/registry";
import { startFaultyProxy, type Fault, type FaultExchange, type FaultyProxy } from "@regkit/registry/faults";

/** How many test files share the kits (secrets.<n>.test.ts): each runs its share in a process of its own, so two run at once. */
export const SECRET_GROUPS = 3;
/** The kits of this file's share: every SECRET_GROUPS-th kit from `group`, so a new kit lands in a share by itself. */
let kits: readonly FormatKit[] = allKits;

const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const MiB = 1024 * 1024;
// Small enough that push.over-limit sends a few MiB, not the default 500 MB.
const LIMIT = 3 * MiB;
const OPTIONS = { manyVersions: 3, manyPackages: 2, numRuns: 2, maxCommands: 6, largeSize: MiB };
const SEED = 4242;
// The headers GitLab reads a credential from (Bearer and Basic in Authorization).
const CREDENTIAL_HEADERS = ["authorization", "private-token", "deploy-token", "job-token", "x-nuget-apikey"];
const REPORTERS = ["console", "json", "junit", "markdown", "html", "badge"] as const;
const FILES: Record<Exclude<(typeof REPORTERS)[number], "console">, string> = {
  json: "report.json",
  junit: "junit.xml",
  markdown: "report.md",
  html: "report.html",
  badge: "badge.svg",
};
// User agents of the real clients (the adapter sends none), as each sends it:
// npm/pnpm/yarn/Bun name themselves first; twine, pip, uv and poetry too (pip-pypi
// is pip, twine-pypi twine); mvn's Wagon is Apache-HttpClient; skopeo sends
// skopeo/<version>, crane crane/<version> go-containerregistry/<version> (plain
// go-containerregistry from other ggcr users), oras oras/<version>, the Generic
// kit's driver curl/<version>, conan Conan/<version>, helm Helm/<version>,
// terraform Terraform/<version> and tofu OpenTofu/<version>.
const REAL_CLIENT = /^(npm|pnpm|yarn|Bun|twine|pip|uv|poetry|Apache-Maven|Apache-HttpClient|NuGet|skopeo|crane|go-containerregistry|oras|curl|Conan|Helm|Terraform|OpenTofu)\b/i;
const WRITES = ["PUT", "POST", "PATCH", "DELETE"];
/**
 * Left out of the echo phase: they send the same credentials as push.small
 * in more and bigger requests, which the straight phase already searches;
 * with nine kits and a dozen and a half real clients, each per token kind, they would
 * only make the run longer. Everything else, the real clients included, runs
 * in both phases.
 */
const ECHO_EXCLUDED: Readonly<Record<string, string>> = {
  "push.large": "the straight phase covers it: the echo adds nothing a small push does not show",
  "push.many": "the straight phase covers it: the echo adds nothing a small push does not show",
  "push.over-limit": "the straight phase covers it: the echo adds nothing a small push does not show",
};

/** One piece of output to search, and where it came from. */
interface Output {
  readonly where: string;
  readonly text: string;
}

/** A JSON Web Token (Base64url header.payload.signature, the header naming its algorithm): what the OCI token realm issues. */
function isJwt(value: string): boolean {
  const [header, payload, signature, extra] = value.split(".");
  if (!header || !payload || signature === undefined || extra !== undefined) return false;
  try {
    const doc: unknown = JSON.parse(Buffer.from(header, "base64url").toString("utf8"));
    return doc !== null && typeof doc === "object" && "alg" in doc;
  } catch {
    return false;
  }
}

/** Every credential value seen on the wire, and the usernames that came with Basic ones. */
class Wire {
  readonly values = new Set<string>();
  /**
   * The Bearer tokens the registry issued itself (OCI's realm JWTs, sent to
   * /v2/ after the configured credential went to /jwt/auth): kept apart from
   * the configured credentials the search is about; the test proves none of
   * them carries one.
   */
  readonly issued = new Set<string>();
  readonly usernames = new Set<string>();
  /** What each request carried, as sent: the detector must find the tokens in it. */
  readonly raw: string[] = [];

  /** The credential headers of `exchange`, remembered; a line naming them (Basic decoded) for the echo, and their secrets. */
  see(exchange: FaultExchange): { readonly text: string; readonly secrets: readonly string[] } {
    const parts: string[] = [];
    const secrets: string[] = [];
    for (const [name, value] of Object.entries(exchange.headers)) {
      if (!CREDENTIAL_HEADERS.includes(name)) continue;
      this.raw.push(`${name}: ${value}`);
      const scheme = /^(Bearer|Basic)\s+(.+)$/i.exec(value);
      if (scheme?.[1]?.toLowerCase() === "basic") {
        const decoded = Buffer.from(scheme[2] ?? "", "base64").toString("utf8");
        const colon = decoded.indexOf(":");
        this.usernames.add(decoded.slice(0, colon));
        secrets.push(decoded.slice(colon + 1));
        parts.push(`${name}: ${value} (user:password ${decoded})`);
      } else {
        secrets.push(scheme ? (scheme[2] ?? "") : value);
        parts.push(`${name}: ${value}`);
      }
    }
    for (const secret of secrets) (isJwt(secret) ? this.issued : this.values).add(secret);
    return { text: parts.join("; "), secrets };
  }
}

/**
 * Counts of what the echo fault did, by the format of the kit running at the
 * time (kits run one after the other): OCI's routes are at the host root
 * (`/v2/...`, `/jwt/auth`), not under `/packages/<segment>`, so the path
 * cannot tell.
 */
const echoed = new Map<string, number>();
/** The format whose kit or clients are running now, for {@link echoed}. */
let running = "none";
/** The user agents each format's requests came with, real clients told apart: proves REAL_CLIENT knows them. */
const agents = new Map<string, Map<string, boolean>>();

/** The packages of push.small (`regkit-<run>-small-pat`, `io/regkit/r<run>/small-pat`, `regkit.r<run>.small.pat`). */
const SMALL = /[-/.]small[-.]/i;
/** The packages of auth.matrix, the same way. */
const AUTH = /[-/.]auth[-.]/i;

/** The proxy each upstream challenge should name instead of the registry, per proxy (set once both are up). */
const proxyOf = new Map<"straight" | "echo", string>();
let realmProxy: "straight" | "echo" = "straight";

/**
 * The Bearer challenge of `headers` with its realm moved from the registry to
 * the proxy, if there is one. The OCI registry's challenge names its token
 * realm (`/jwt/auth`) at the origin it was reached at, which is the
 * registry's own (the proxy forwards the Host header of the upstream);
 * without this the credential would go to the realm around the proxy, and
 * neither the wire nor the echo would see it.
 */
function challengeThrough(headers: Readonly<Record<string, string>>): Record<string, string> {
  const challenge = headers["www-authenticate"];
  const proxy = proxyOf.get(realmProxy);
  if (!challenge || !/^Bearer\s/i.test(challenge) || !proxy) return {};
  return { "www-authenticate": challenge.replaceAll(registry.url, proxy) };
}

/** An exchange passed on as it is, but for a Bearer challenge in its answer (see {@link challengeThrough}). */
function realmThrough(exchange: FaultExchange): ReturnType<Fault> {
  // Only /v2/ answers challenge; leaving the rest alone keeps their bodies streamed, not buffered.
  if (!exchange.path.startsWith("/v2/")) return undefined;
  return { response: (res) => (res.headers["www-authenticate"] ? { headers: { ...res.headers, ...challengeThrough(res.headers) } } : undefined) };
}

/**
 * A registry that gives credentials back: every answer to a request that
 * carried one names it (Basic decoded) in a header, JSON answers get it in a
 * field, error answers are replaced by a JSON error message made of it. The
 * real clients' writes are refused with it, and the adapter's reads of
 * push.small's packages, and those of auth.matrix's under a token that may
 * not write (the invalid and the read-only one), answer 500 with it, so
 * failures keep it as evidence (the real clients' output, response snippets).
 */
function echoCredentials(wire: Wire, writers: readonly string[]): Fault {
  return (exchange) => {
    const { text: credentials, secrets } = wire.see(exchange);
    const agent = exchange.headers["user-agent"] ?? "";
    const seen = agents.get(running) ?? new Map<string, boolean>();
    agents.set(running, seen.set(agent.split(/\s/)[0] ?? "", REAL_CLIENT.test(agent)));
    if (!credentials) return realmThrough(exchange);
    echoed.set(running, (echoed.get(running) ?? 0) + 1);
    const text = `${exchange.method} ${exchange.path} sent ${credentials}`;
    const echo = { "x-echo-credentials": text, "www-authenticate": `Basic realm="${text.replaceAll('"', "'")}"` };
    const body = JSON.stringify({ message: `regkit echo: ${text}`, error: `denied, you sent ${credentials}` });
    const refusal = (status: number) => ({ request: { answer: { status, headers: { "content-type": "application/json", ...echo }, body } } });
    if (REAL_CLIENT.test(agent) && WRITES.includes(exchange.method)) return refusal(403);
    if (!REAL_CLIENT.test(agent) && exchange.method === "GET") {
      if (SMALL.test(exchange.path)) return refusal(500);
      // (Helm's auth.matrix reads the channel's index.yaml, whose path names no package.)
      if ((AUTH.test(exchange.path) || /\/index\.yaml$/.test(exchange.path)) && secrets.some((s) => !writers.includes(s))) return refusal(500);
    }
    return {
      response: (res) => {
        // A Bearer challenge stays (realm through the proxy): it is how an OCI client gets its token.
        const bearer = challengeThrough(res.headers);
        if (res.status >= 400) return { headers: { ...res.headers, ...echo, "content-type": "application/json", ...bearer }, body };
        if (/json/i.test(res.headers["content-type"] ?? "")) {
          try {
            const doc: unknown = JSON.parse(res.body.toString("utf8"));
            if (doc !== null && typeof doc === "object" && !Array.isArray(doc)) {
              return { headers: { ...res.headers, ...echo }, body: JSON.stringify({ ...doc, regkit_echo: text }) };
            }
          } catch {
            // Not JSON after all: the header alone carries the echo.
          }
        }
        return { headers: { ...res.headers, ...echo } };
      },
    };
  };
}

/** Every form a secret may take in output: raw, URL-encoded, Base64 (alone, at any alignment, and as Basic user:secret). */
function formsOf(secret: string, usernames: readonly string[]): { readonly form: string; readonly text: string }[] {
  const b64 = (s: string): string => Buffer.from(s).toString("base64").replace(/=+$/, "");
  const forms = [
    { form: "raw", text: secret },
    { form: "URL-encoded", text: encodeURIComponent(secret) },
    { form: "Base64", text: b64(secret) },
    { form: "Base64url", text: Buffer.from(secret).toString("base64url") },
  ];
  // Inside a longer Base64 string the secret's encoding depends on its offset modulo 3.
  for (let pad = 1; pad < 3; pad++) {
    const encoded = Buffer.from(`${"x".repeat(pad)}${secret}`).toString("base64");
    const start = Math.ceil((pad * 4) / 3);
    forms.push({ form: `Base64 at offset ${pad}`, text: encoded.slice(start, encoded.length - 4) });
  }
  for (const user of usernames) forms.push({ form: `Base64 of Basic ${user}:token`, text: b64(`${user}:${secret}`) });
  // Shorter forms would match by chance; the same text twice would report one leak twice.
  const unique = new Map<string, { readonly form: string; readonly text: string }>();
  for (const f of forms) if (f.text.length >= 8 && !unique.has(f.text)) unique.set(f.text, f);
  return [...unique.values()];
}

interface Leak {
  readonly where: string;
  readonly form: string;
  /** The text around it, with the secret itself masked. */
  readonly context: string;
}

/** Where any secret shows in `outputs`, in any of its forms, or inside any Base64 word. */
function findLeaks(outputs: readonly Output[], secrets: readonly string[], usernames: readonly string[]): Leak[] {
  const leaks: Leak[] = [];
  const mask = (text: string, hit: string, label: string): string => text.split(hit).join(`<${label}>`);
  secrets.forEach((secret, n) => {
    const forms = formsOf(secret, usernames);
    for (const output of outputs) {
      for (const { form, text } of forms) {
        const at = output.text.indexOf(text);
        if (at < 0) continue;
        const around = output.text.slice(Math.max(0, at - 80), at + text.length + 80);
        leaks.push({ where: output.where, form, context: mask(around, text, `secret #${n} (${form})`) });
      }
      // Base64 words that decode to something holding the secret (Basic of any username).
      for (const word of output.text.match(/[A-Za-z0-9+/_-]{12,}={0,2}/g) ?? []) {
        for (const decoded of [Buffer.from(word, "base64").toString("latin1"), Buffer.from(word, "base64url").toString("latin1")]) {
          if (decoded.includes(secret)) {
            leaks.push({ where: output.where, form: "inside a Base64 word", context: mask(word, word, `Base64 holding secret #${n}`) });
            break;
          }
        }
      }
    }
  });
  return leaks;
}

/** Every file under `dir`, as outputs named by their path. */
async function filesUnder(dir: string, root = dir): Promise<Output[]> {
  const out: Output[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path, root)));
    else out.push({ where: `file ${relative(root, path)}`, text: await readFile(path, "latin1") });
  }
  return out;
}

/** The CLI binary, its output captured; bounded so a hang fails the test instead of stalling it. */
function regkit(args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env } });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 240_000);
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let registry: ReferenceRegistry;
let dir: string;
const registryLog: string[] = [];
const wire = new Wire();
const proxies: FaultyProxy[] = [];
const reports: { phase: "straight" | "echo"; report: RunReport }[] = [];
let consoleText = "";
/** Each real client's whole output through the echo, by driver name (the runner keeps only a redacted tail). */
const direct = new Map<string, string>();
let cli: { code: number | null; stdout: string; stderr: string };
const outputs: Output[] = [];

/** `target` with its registry reached through `proxy`. */
function through(proxy: FaultyProxy, target: Target): Target {
  return { ...target, registry: target.registry.replace(registry.url, proxy.url) };
}

/**
 * The whole search for the kits of share `group` (0 to SECRET_GROUPS - 1):
 * one registry and its proxies, every one of those kits straight and through
 * the echo, every reporter, the CLI binary once.
 */
export function describeSecrets(group: number): void {
kits = allKits.filter((_, i) => i % SECRET_GROUPS === group);

test(`share ${group} of ${SECRET_GROUPS} holds kits, and the shares hold every kit once`, () => {
  expect(kits.length).toBeGreaterThan(0);
  const shares = Array.from({ length: SECRET_GROUPS }, (_, g) => allKits.filter((_, i) => i % SECRET_GROUPS === g).map((k) => k.format));
  expect(shares.flat().sort()).toEqual(allKits.map((k) => k.format).sort());
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "regkit-secrets-"));
  const references = Object.values(referenceFormats);
  registry = await createReferenceRegistry({
    formats: references,
    limits: Object.fromEntries(references.map((r) => [r.segment, { maxFileSize: LIMIT }])),
    log: (line) => registryLog.push(line),
  });
  // Straight: a proxy that changes nothing and only notes the credentials on the wire (the invalid token among them).
  const straight = await startFaultyProxy({
    upstream: registry.url,
    fault: (exchange) => {
      wire.see(exchange);
      return realmThrough(exchange);
    },
  });
  const { personal, deploy, job } = registry.tokens;
  const echo = await startFaultyProxy({ upstream: registry.url, fault: echoCredentials(wire, [personal, deploy, job]) });
  proxies.push(straight, echo);
  proxyOf.set("straight", straight.url).set("echo", echo.url);

  for (const kit of kits) {
    const reference = referenceFormats[kit.format];
    if (!reference) throw new Error(`no reference routes for ${kit.format}`);
    const base: Target = { ...referenceTarget(registry, reference.segment), options: OPTIONS };
    running = kit.format;
    // Every scenario, the real clients included, straight; all but the bulky pushes through the echo.
    realmProxy = "straight";
    reports.push({ phase: "straight", report: await runConformance({ kit, target: through(straight, base), tokenKinds: ALL_TOKEN_KINDS, seed: SEED }) });
    realmProxy = "echo";
    reports.push({ phase: "echo", report: await runConformance({ kit, target: through(echo, base), tokenKinds: ALL_TOKEN_KINDS, seed: SEED, exclude: ECHO_EXCLUDED }) });
  }

  // Each real client straight, through the echo, with the deploy token (Basic
  // user:token where the format sends it): its whole output, not only the tail
  // a result keeps, and not redacted a second time by the runner. The work
  // directories hold the credential in the clients' own config files, as
  // they must: they live apart from the reports and go at the end.
  const work = await mkdtemp(join(tmpdir(), "regkit-secrets-work-"));
  try {
    realmProxy = "echo";
    for (const kit of kits) {
      running = kit.format;
      const target = through(echo, referenceTarget(registry, referenceFormats[kit.format]!.segment));
      const resolved = resolveTarget(kit, target);
      const credential = credentialFor(resolved, "deploy");
      if (!credential) throw new Error(`${kit.format}: no deploy credential`);
      for (const driver of kit.drivers) {
        const why = await driver.unavailable();
        if (why !== undefined) {
          direct.set(driver.name, `unavailable: ${why}`);
          continue;
        }
        const workdir = await mkdtemp(join(work, `${driver.name}-`));
        const ctx = { registry: resolved.registry, target: resolved, credential, secrets: targetSecrets(resolved, credential), workdir, signal: AbortSignal.timeout(240_000) };
        const name = kit.packageName("direct", driver.name.replace(/[^a-z]/g, ""));
        const published = driver.publish ? (await driver.publish(await kit.build({ name, version: "1.0.0" }), ctx)).output : "";
        const installed = driver.install ? await driver.install(name, "1.0.0", ctx).then((r) => r.output, (e: unknown) => (e instanceof Error ? e.message : String(e))) : "";
        direct.set(driver.name, `${published}\n${installed}`);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  // Every reporter, as the CLI builds them, over every report.
  const captured: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      captured.push(chunk.toString());
      done();
    },
  });
  const resolved = resolveTarget(kits[0]!, referenceTarget(registry, referenceFormats[kits[0]!.format]!.segment));
  const reporters: Reporter[] = REPORTERS.map((name) =>
    parseReporterSpec(name === "console" ? "console" : `${name}=${join(dir, "in-process", FILES[name])}`, { stream, secrets: targetSecrets(resolved) }),
  );
  for (const { report } of reports) for (const result of report.results) for (const reporter of reporters) reporter.onResult?.(result);
  for (const reporter of reporters) await reporter.finish(reports.map((r) => r.report));
  consoleText = captured.join("");

  // The CLI binary once, credentials in REGKIT_*, through the echo.
  running = "cli";
  const t = registry.tokens;
  cli = await regkit(
    [
      "run", "--format", "npm", "--registry", registry.registries.npm!.replace(registry.url, echo.url), "--profile", "gitlab", "--seed", String(SEED),
      "--scenario", "push.small", "--scenario", "auth.matrix", "--scenario", "clients.roundtrip",
      "--reporter", "console",
      ...Object.entries(FILES).flatMap(([name, file]) => ["--reporter", `${name}=${join(dir, "cli", file)}`]),
    ],
    {
      REGKIT_PERSONAL_TOKEN: t.personal,
      REGKIT_PERSONAL_USERNAME: t.personalUsername,
      REGKIT_DEPLOY_TOKEN: t.deploy,
      REGKIT_DEPLOY_USERNAME: t.deployUsername,
      REGKIT_JOB_TOKEN: t.job,
      REGKIT_READONLY_TOKEN: t.readonlyDeploy,
      REGKIT_READONLY_USERNAME: t.readonlyDeployUsername,
      REGKIT_SET: `maxFileSize=${LIMIT / MiB}MiB`,
    },
  );

  outputs.push(
    { where: "console reporter", text: consoleText },
    { where: "CLI stdout", text: cli.stdout },
    { where: "CLI stderr", text: cli.stderr },
    { where: "registry log", text: registryLog.join("\n") },
    // The reports as runConformance returned them: every result's message, notes, exchanges, the real clients' output.
    ...reports.map(({ phase, report }) => ({ where: `${report.format} report (${phase}), in memory`, text: JSON.stringify(report) })),
    ...[...direct].map(([name, text]) => ({ where: `${name} output, run directly`, text })),
    ...(await filesUnder(dir)),
  );
}, 900_000);

afterAll(async () => {
  for (const proxy of proxies) await proxy.close();
  await registry?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Every secret to look for: the registry's tokens and every credential that went over the wire (the made-up invalid one too). */
function allSecrets(): string[] {
  // NuGet.exe must send some API key: without a token the driver sends this placeholder, no secret.
  return [...new Set([...registry.secrets, ...wire.values])].filter((s) => s.length >= 8 && s !== "regkit-anonymous");
}

describe(`no secret leaks anywhere (${kits.map((k) => k.format).join(", ")})`, () => {
  test("the search covers every token the registry issued and the made-up invalid one, and finds them where they are", () => {
    const secrets = allSecrets();
    for (const token of [registry.tokens.personal, registry.tokens.deploy, registry.tokens.job, registry.tokens.readonlyDeploy]) {
      expect(wire.values.has(token), "every token kind went over the wire").toBe(true);
    }
    // The invalid token is made up per run: it is known only from the wire.
    const madeUp = allSecrets().filter((v) => !registry.secrets.includes(v));
    expect(madeUp.length, "the invalid token was seen").toBeGreaterThan(0);
    // None of the registry's own tokens is left out of the search (by the length filter, say).
    expect(secrets).toEqual(expect.arrayContaining([...registry.secrets]));
    // The detector finds what the wire carried (Bearer, Basic, header tokens), in every form.
    const usernames = [...wire.usernames];
    const onTheWire = findLeaks([{ where: "wire", text: wire.raw.join("\n") }], secrets, usernames);
    // OCI's clients sent the registry's own tokens to /v2/ through the proxies (their realm went through them
    // too), and none of those tokens holds a configured credential, in its header or its claims.
    // (Only in the share that holds the OCI kit: no other format's registry issues tokens of its own.)
    if (kits.some((k) => k.format === "oci")) expect(wire.issued.size, "OCI realm tokens went over the wire").toBeGreaterThan(0);
    const claims = [...wire.issued].map((jwt, n) => ({ where: `issued token #${n}`, text: jwt.split(".").slice(0, 2).map((part) => Buffer.from(part, "base64url").toString("utf8")).join("\n") }));
    expect(claims.every((c) => c.text.includes('"alg"')), "the issued tokens decode").toBe(true);
    expect(findLeaks(claims, secrets, usernames)).toEqual([]);
    expect(onTheWire.length).toBeGreaterThan(0);
    expect(onTheWire.some((l) => l.form.startsWith("Base64 of Basic") || l.form === "inside a Base64 word")).toBe(true);
    for (const secret of [registry.tokens.personal, madeUp[0]!]) {
      const planted = [`token=${encodeURIComponent(`${secret}/`)}`, `auth ${Buffer.from(`someone:${secret}`).toString("base64")}`, `x${Buffer.from(`ab${secret}`).toString("base64")}`];
      for (const text of planted) expect(findLeaks([{ where: "planted", text }], [secret], []), text).not.toEqual([]);
    }
  });

  test("every kit ran with every token kind, in both phases, the real clients included", () => {
    // The echo phase left out only the bulky pushes, and only by name.
    for (const { phase, report } of reports.filter((r) => r.phase === "echo")) {
      const disabled = new Set(report.results.filter((r) => r.status === "disabled").map((r) => r.scenario));
      for (const id of disabled) expect(Object.keys(ECHO_EXCLUDED), `${report.format} ${phase}: ${id} disabled`).toContain(id);
    }
    for (const kit of kits) {
      for (const phase of ["straight", "echo"] as const) {
        const report = reports.find((r) => r.phase === phase && r.report.format === kit.format)?.report;
        expect(report, `${kit.format} ${phase}`).toBeDefined();
        for (const kind of ALL_TOKEN_KINDS) {
          const ran = report!.results.filter((r) => r.tokenKind === kind && r.status !== "skip" && r.status !== "disabled");
          expect(ran.length, `${kit.format} ${phase} ${kind}: ${report!.results.filter((r) => r.tokenKind === kind).map((r) => `${r.scenario} ${r.status} ${r.message ?? ""}`).join("; ")}`).toBeGreaterThan(0);
        }
      }
      // Straight, each real client on the machine took part in some result (passed, failed or deviated: not skipped).
      const straight = reports.find((r) => r.phase === "straight" && r.report.format === kit.format)!.report.results.flatMap((r) => r.clients ?? []);
      for (const driver of kit.drivers.filter((d) => !direct.get(d.name)?.startsWith("unavailable: "))) {
        const own = straight.filter((c) => c.name === driver.name);
        expect(own.some((c) => c.status !== "skip"), `${kit.format}: ${driver.name} ran in the straight phase: ${JSON.stringify(own.slice(0, 3))}`).toBe(true);
      }
      // Through the echo, clients.roundtrip stops at the first real client's
      // write, which the echo refuses: some real client ran there, and every
      // one ran through the echo on its own (checked with the echo below).
      const echoed = reports.find((r) => r.phase === "echo" && r.report.format === kit.format)!.report.results.flatMap((r) => r.clients ?? []);
      expect(echoed.some((c) => c.status !== "skip"), `${kit.format}: a real client ran in the echo phase: ${JSON.stringify(echoed.slice(0, 3))}`).toBe(true);
    }
  });

  test("the echoing registry really sent credentials back, and what came back is redacted", () => {
    // npm prints the registry's error message: the echo reached a real client's output, and left it redacted.
    const npm = direct.get("npm-cli");
    if (npm !== undefined) expect(npm.includes("denied, you sent") && npm.includes("[REDACTED]"), `npm's output: ${npm.slice(-400)}`).toBe(true);
    for (const kit of kits) {
      for (const driver of kit.drivers) {
        const output = direct.get(driver.name)?.trim() ?? "";
        // A client missing from the machine says so (as the runner reports it skipped); every other one ran.
        expect(output, `${driver.name} ran directly`).not.toBe("");
      }
    }
    for (const kit of kits) {
      expect(echoed.get(kit.format) ?? 0, `${kit.format} requests echoed`).toBeGreaterThan(0);
      // The real clients were told from the adapter by their user agents (their writes were refused with the echo).
      const seen = agents.get(kit.format) ?? new Map<string, boolean>();
      const told = [...seen].filter(([, real]) => real).map(([agent]) => agent);
      const available = kit.drivers.filter((d) => !direct.get(d.name)?.startsWith("unavailable: "));
      if (available.length > 0) expect(told.length, `${kit.format}: user agents seen ${JSON.stringify([...seen])}`).toBeGreaterThan(0);
      const echo = reports.find((r) => r.phase === "echo" && r.report.format === kit.format)!.report;
      // The refused and failed requests keep their echoed evidence, with the secrets blanked.
      const evidence = JSON.stringify(echo.results.filter((r) => r.status === "fail" || r.status === "error"));
      expect(evidence.includes("regkit echo") && evidence.includes("[REDACTED]"), `${kit.format}: the echo is in the failures' evidence, redacted`).toBe(true);
      // The made-up invalid token was echoed too: auth.matrix [invalid] got a 500 made of it instead of its refusal
      // (a failure, or for OCI, whose realm answered it, an error: "server error instead of a refusal").
      const invalid = echo.results.find((r) => r.scenario === "auth.matrix" && r.tokenKind === "invalid");
      expect(["fail", "error"], `${kit.format} auth.matrix [invalid]: ${invalid?.status ?? "did not run"} ${invalid?.message ?? ""}`).toContain(invalid?.status);
      const invalidEvidence = JSON.stringify(invalid);
      expect(invalidEvidence.includes("regkit echo") && invalidEvidence.includes("[REDACTED]"), `${kit.format} auth.matrix [invalid] evidence`).toBe(true);
    }
  });

  test("every reporter wrote its report, in process and through the CLI binary", async () => {
    expect(consoleText).toMatch(/push\.small/);
    for (const kit of kits) expect(consoleText).toContain(kit.format);
    for (const where of ["in-process", "cli"]) {
      for (const file of Object.values(FILES)) {
        const text = await readFile(join(dir, where, file), "utf8");
        expect(text.length, `${where}/${file}`).toBeGreaterThan(100);
      }
    }
    expect(cli.code, cli.stderr).toBe(1);
    expect(cli.stdout).toMatch(/auth\.matrix/);
    expect(cli.stdout + cli.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  test("no secret, raw, URL-encoded or in Base64, in any output, report or file", () => {
    const leaks = findLeaks(outputs, allSecrets(), [...wire.usernames, registry.tokens.personalUsername, registry.tokens.deployUsername, registry.tokens.readonlyDeployUsername, "gitlab-ci-token"]);
    expect(outputs.length).toBeGreaterThan(12);
    expect(leaks.length, leaks.slice(0, 20).map((l) => `${l.where}: ${l.form}: ...${l.context}...`).join("\n")).toBe(0);
  });
});
}
