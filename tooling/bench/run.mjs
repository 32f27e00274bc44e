// `pnpm bench`: the reference registry measured against Verdaccio and nginx,
// as ratios, and on its own at scale. Goals, reported, never asserted in tests:
//   packument GET throughput, 300 versions: reference >= 50x Verdaccio
//   metadata (a 300-version packument): reference >= 0.5x nginx serving the same bytes from a file
//   peak RSS of the reference while a 500 MB npm package is published and pulled: < 256 MB
//   10,000 versions across 1,000 packages, each publish followed by a packument GET:
//     peak RSS < 256 MB, publish latency flat (p50 at the end within 1.5x the start),
//     packument GET latency no worse than proportional to the packument's bytes
//   full npm catalog against the reference: < 30 s on 2 cores
//   the demo, default numbers, every format: < 120 s on 2 cores (and where the time goes)
// Also measured, without a goal: throughput and p50/p99 latency of the
// reference under 32 concurrent clients (24 publishers, 8 readers) per format.
// Environment knobs: BENCH_SECONDS (per throughput measurement, default 5),
// BENCH_LARGE_MB (default 500), BENCH_LOAD_VERSIONS (versions each load
// publisher publishes, default 10), BENCH_SCALE_VERSIONS / BENCH_SCALE_PACKAGES
// (default 10000 / 1000), BENCH_SKIP=verdaccio,nginx,rss,scale,catalog,load,demo,oci.
// Figures go to regkit-report/bench.json; a run that skipped nothing (and was
// not told BENCH_README=0) also rewrites the README's blocks from it (readme.mjs).
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { Agent, request } from "undici";
import { startVerdaccio } from "../testing/verdaccio.mjs";
import { cliBin, peakRss, root, serveReference } from "./common.mjs";
import { demoBench } from "./demo.mjs";
import { metadataVsNginx } from "./metadata.mjs";
import { ociBench } from "./oci.mjs";
import { updateReadme } from "./readme.mjs";
import { proportional, scaleBench } from "./scale.mjs";

const { createHttpClient, resolveTarget, credentialFor, targetSecrets } = await import(`${root}packages/core/dist/index.js`);
const { npmKit } = await import(`${root}packages/npm/dist/index.js`);
const { kits } = await import(`${root}packages/cli/dist/index.js`);

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const LOAD_VERSIONS = Number(process.env.BENCH_LOAD_VERSIONS ?? 10);
const LARGE = Number(process.env.BENCH_LARGE_MB ?? 500) * 1000 * 1000;
const SCALE_VERSIONS = Number(process.env.BENCH_SCALE_VERSIONS ?? 10_000);
const SCALE_PACKAGES = Number(process.env.BENCH_SCALE_PACKAGES ?? 1000);
const skip = new Set((process.env.BENCH_SKIP ?? "").split(",").filter(Boolean));
const VERSIONS = 300;
const MB = 1e6;
const log = (line) => console.error(line);

function npmClient(registry, profile, credentials) {
  const target = resolveTarget(npmKit, { registry, profile, credentials });
  const credential = credentialFor(target, "personal");
  const secrets = targetSecrets(target, credential);
  const http = createHttpClient({
    baseUrl: registry,
    authHeaders: target.profile.authHeaders(credential),
    via: "bench",
    record: () => {},
    secrets,
    timeoutMs: 600_000,
  });
  return npmKit.connect({ target, credential, http, runId: "bench", secrets });
}

/** An adapter of any kit against a `regkit serve` endpoint, as `kind`, on `dispatcher`; `record` sees every exchange. */
function kitClient(kit, registry, tokens, kind, dispatcher, record = () => {}) {
  const credentials = {
    personal: tokens.personal,
    personalUsername: tokens.personalUsername,
    deploy: { username: tokens.deployUsername, token: tokens.deploy },
    job: tokens.job,
    readonly: { username: tokens.readonlyDeployUsername, token: tokens.readonlyDeploy },
  };
  const target = resolveTarget(kit, { registry, profile: "gitlab", credentials });
  const credential = credentialFor(target, kind);
  const secrets = targetSecrets(target, credential);
  const http = createHttpClient({ baseUrl: registry, authHeaders: target.profile.authHeaders(credential), via: "bench", record, secrets, timeoutMs: 600_000, dispatcher });
  return kit.connect({ target, credential, http, runId: "bench", secrets });
}

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? 0;
};

/**
 * 32 clients at once against one format of the reference: 24 publishers, each
 * publishing LOAD_VERSIONS new versions over 4 packages, and 8 readers listing
 * versions and downloading the newest as long as publishing goes on. Packages
 * are built before the clock starts. Throughput and latency are the
 * registry's, per HTTP request (a Maven publish is several PUTs, and the Maven
 * adapter queues deploys of one artifact as one mvn would: timing adapter
 * calls would time that queue); adapter calls are counted too.
 */
async function concurrentLoad(kit, served) {
  const PUBLISHERS = 24;
  const READERS = 8;
  const PACKAGES = 4;
  const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 10_000 });
  const registry = served.registries[kit.format];
  const names = Array.from({ length: PACKAGES }, (_, p) => kit.packageName("bench", `load-${p}`));
  const work = await Promise.all(
    Array.from({ length: PUBLISHERS }, (_, w) =>
      Promise.all(Array.from({ length: LOAD_VERSIONS }, (_, j) => kit.build({ name: names[(w + j) % PACKAGES], version: `1.${w}.${j}`, description: `bench publisher ${w}` }))),
    ),
  );
  let publishes = 0;
  let reads = 0;
  const writeMs = [];
  const readMs = [];
  const record = (exchange) => (exchange.method === "GET" || exchange.method === "HEAD" ? readMs : writeMs).push(exchange.durationMs);
  const broken = [];
  const recordChecked = (exchange) => {
    record(exchange);
    if (exchange.status === 0 || exchange.status >= 500) broken.push(`${exchange.method} ${exchange.path} -> ${exchange.status}`);
  };
  const published = new Map(names.map((n) => [n, []]));
  let publishing = PUBLISHERS;
  const writers = ["personal", "deploy", "job"];
  const readers = ["personal", "deploy", "job", "readonly"];
  const publisher = async (w) => {
    const client = kitClient(kit, registry, served.tokens, writers[w % writers.length], dispatcher, recordChecked);
    try {
      for (const artifact of work[w]) {
        const outcome = await client.publish(artifact);
        if (!outcome.accepted) throw new Error(`${kit.format}: publish ${artifact.name}@${artifact.version} refused: ${outcome.status}`);
        publishes += 1;
        published.get(artifact.name).push(artifact.version);
      }
    } finally {
      publishing -= 1;
    }
  };
  const reader = async (r) => {
    const client = kitClient(kit, registry, served.tokens, readers[r % readers.length], dispatcher, recordChecked);
    for (let i = 0; publishing > 0; i++) {
      const name = names[(r + i) % PACKAGES];
      await client.versions(name);
      reads += 1;
      const newest = published.get(name).at(-1);
      if (newest) {
        await client.download(name, newest);
        reads += 1;
      }
    }
  };
  const start = performance.now();
  try {
    await Promise.all([...Array.from({ length: PUBLISHERS }, (_, w) => publisher(w)), ...Array.from({ length: READERS }, (_, r) => reader(r))]);
  } finally {
    await dispatcher.close();
  }
  const seconds = (performance.now() - start) / 1000;
  if (broken.length > 0) throw new Error(`${kit.format}: ${broken.length} requests got a 5xx or no answer under load, first: ${broken[0]}`);
  const all = [...writeMs, ...readMs];
  return {
    clients: PUBLISHERS + READERS,
    publishes,
    reads,
    requests: all.length,
    seconds,
    requestsPerSecond: all.length / seconds,
    p50Ms: percentile(all, 0.5),
    p99Ms: percentile(all, 0.99),
    writeP50Ms: percentile(writeMs, 0.5),
    writeP99Ms: percentile(writeMs, 0.99),
    readP50Ms: percentile(readMs, 0.5),
    readP99Ms: percentile(readMs, 0.99),
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};
const p95 = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length * 0.95)] ?? 0;
};

/** Publishes VERSIONS versions of one package, timing each publish. */
async function publishMany(client, name) {
  const times = [];
  for (let i = 0; i < VERSIONS; i++) {
    const artifact = await npmKit.build({ name, version: `1.0.${i}`, description: "bench" });
    const start = performance.now();
    const outcome = await client.publish(artifact);
    times.push(performance.now() - start);
    if (!outcome.accepted) throw new Error(`publish ${name}@1.0.${i} refused: ${outcome.status}`);
  }
  return times;
}

/** GETs the packument as fast as 8 concurrent loops can for SECONDS; returns requests per second. */
async function packumentThroughput(url, headers) {
  const dispatcher = new Agent({ connections: 8, pipelining: 1 });
  const deadline = performance.now() + SECONDS * 1000;
  let count = 0;
  let bytes = 0;
  const loop = async () => {
    while (performance.now() < deadline) {
      const res = await request(url, { headers, dispatcher });
      const body = await res.body.arrayBuffer();
      if (res.statusCode !== 200) throw new Error(`GET ${url} -> ${res.statusCode}`);
      bytes += body.byteLength;
      count++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: 8 }, loop));
  const seconds = (performance.now() - start) / 1000;
  await dispatcher.close();
  return { rps: count / seconds, bytes: bytes / Math.max(count, 1) };
}

const os = await import("node:os");
// How busy the machine was (1-minute load average at the start and the end): on a shared VM it moves every figure.
const results = { date: new Date().toISOString(), node: process.version, cpus: os.availableParallelism(), loadAverage: { start: os.loadavg()[0] } };
/** The table, in order: `{measure, reference, compared, ratio, goal, met}` (readme.mjs renders it). */
const rows = [];

// 1 + 2: packument throughput and publish latency, reference vs Verdaccio.
{
  const ref = await serveReference();
  const refCreds = { personal: ref.tokens.personal };
  const refClient = npmClient(ref.registries.npm, "gitlab", refCreds);
  const name = "regkit-bench-many";
  const refPublish = await publishMany(refClient, name);
  const refGet = await packumentThroughput(`${ref.registries.npm}/${name}`, { authorization: `Bearer ${ref.tokens.personal}` });
  await ref.close();
  results.reference = { publishMedianMs: median(refPublish), publishP95Ms: p95(refPublish), packumentRps: refGet.rps, packumentBytes: refGet.bytes };

  if (!skip.has("verdaccio")) {
    const vd = await startVerdaccio({ maxBodySize: "100mb" });
    try {
      const vdClient = npmClient(vd.url, "verdaccio", { personal: vd.token });
      const vdPublish = await publishMany(vdClient, name);
      const vdGet = await packumentThroughput(`${vd.url}/${name}`, { authorization: `Bearer ${vd.token}` });
      results.verdaccio = { publishMedianMs: median(vdPublish), publishP95Ms: p95(vdPublish), packumentRps: vdGet.rps, packumentBytes: vdGet.bytes };
    } finally {
      await vd.close();
    }
    const ratio = results.reference.packumentRps / results.verdaccio.packumentRps;
    rows.push({ measure: `packument GET, ${VERSIONS} versions (req/s, 8 connections)`, reference: results.reference.packumentRps.toFixed(0), compared: `Verdaccio 6: ${results.verdaccio.packumentRps.toFixed(0)}`, ratio: `${ratio.toFixed(1)}x`, goal: ">= 50x", met: ratio >= 50 });
    const pubRatio = results.verdaccio.publishMedianMs / results.reference.publishMedianMs;
    rows.push({ measure: "publish latency, median (ms)", reference: results.reference.publishMedianMs.toFixed(2), compared: `Verdaccio 6: ${results.verdaccio.publishMedianMs.toFixed(2)}`, ratio: `${pubRatio.toFixed(1)}x faster`, goal: "", met: undefined });
  } else {
    rows.push({ measure: `packument GET, ${VERSIONS} versions (req/s, 8 connections)`, reference: results.reference.packumentRps.toFixed(0), compared: "Verdaccio: skipped", ratio: "", goal: ">= 50x", met: undefined });
  }
}

// 2: metadata against nginx serving the same bytes from a file.
if (!skip.has("nginx")) {
  const m = await metadataVsNginx({ seconds: SECONDS, log });
  results.metadata = m;
  if (m.skipped) {
    rows.push({ measure: "packument GET vs nginx, same bytes", reference: "", compared: `skipped: ${m.skipped}`, ratio: "", goal: ">= 0.5x", met: undefined });
  } else {
    rows.push({
      measure: `packument GET, ${m.versions} versions, ${(m.bytes / 1024).toFixed(0)} KB (req/s, ${m.connections} connections, ${m.client})`,
      reference: m.referenceRps.toFixed(0),
      compared: `nginx, same bytes from a file: ${m.nginxRps.toFixed(0)}`,
      ratio: `${m.ratio.toFixed(2)}x`,
      goal: ">= 0.5x",
      met: m.ratio >= 0.5,
    });
  }
}

// 3: peak RSS of the reference registry during a 500 MB publish and pull.
if (!skip.has("rss")) {
  const ref = await serveReference();
  try {
    const client = npmClient(ref.registries.npm, "gitlab", { personal: ref.tokens.personal });
    const artifact = await npmKit.build({ name: "regkit-bench-large", version: "1.0.0", size: LARGE });
    const before = await peakRss(ref.pid);
    const t0 = performance.now();
    const outcome = await client.publish(artifact);
    if (!outcome.accepted) throw new Error(`large publish refused: ${outcome.status}`);
    const t1 = performance.now();
    const pulled = await client.download("regkit-bench-large", "1.0.0");
    const t2 = performance.now();
    if (pulled.digests.sha512 !== artifact.content.digests.sha512) throw new Error("large package came back different");
    const peak = await peakRss(ref.pid);
    results.large = {
      bytes: artifact.content.size,
      idlePeakRssBytes: before,
      peakRssBytes: peak,
      uploadMBps: artifact.content.size / 1e6 / ((t1 - t0) / 1000),
      downloadMBps: artifact.content.size / 1e6 / ((t2 - t1) / 1000),
    };
    rows.push({ measure: `peak RSS, ${(artifact.content.size / MB).toFixed(0)} MB npm package published and pulled (MB)`, reference: (peak / MB).toFixed(0), compared: "", ratio: "", goal: "< 256 MB", met: peak < 256 * 1024 * 1024 });
    rows.push({ measure: "large upload / download through the npm adapter (MB/s)", reference: `${results.large.uploadMBps.toFixed(0)} / ${results.large.downloadMBps.toFixed(0)}`, compared: "", ratio: "", goal: "", met: undefined });
  } finally {
    await ref.close();
  }
}

// 4: scale: 10,000 versions across 1,000 packages, each publish followed by a packument GET.
if (!skip.has("scale")) {
  const sc = await scaleBench({ versions: SCALE_VERSIONS, packages: SCALE_PACKAGES, log });
  results.scale = sc;
  const { publish } = sc;
  const label = `${sc.versions.toLocaleString("en")} versions, ${sc.packages.toLocaleString("en")} packages`;
  rows.push({ measure: `peak RSS, ${label}, each publish followed by a packument GET (MB)`, reference: (sc.peakRssBytes / MB).toFixed(0), compared: `idle: ${(sc.idleRssBytes / MB).toFixed(0)}`, ratio: "", goal: "< 256 MB", met: sc.peakRssBytes < 256 * 1024 * 1024 });
  const flat = publish.endP50Ms <= 1.5 * publish.startP50Ms;
  rows.push({ measure: `publish latency, first / last ${publish.window} of ${label}: p50; p99 (ms)`, reference: `${publish.startP50Ms.toFixed(1)} / ${publish.endP50Ms.toFixed(1)}; ${publish.startP99Ms.toFixed(1)} / ${publish.endP99Ms.toFixed(1)}`, compared: "", ratio: `${(publish.endP50Ms / publish.startP50Ms).toFixed(2)}x`, goal: "flat: last p50 <= 1.5x first", met: flat });
  const buckets = sc.packumentGet;
  const small = buckets[0];
  const big = buckets.at(-1);
  rows.push({
    measure: `packument GET after each publish, p50 by packument size (${buckets.map((b) => `${(b.bytes / 1024).toFixed(1)} KB: ${b.p50Ms.toFixed(2)} ms`).join(", ")})`,
    reference: `${((big.p50Ms / big.bytes) * 1024 * 1000).toFixed(1)} µs/KB at ${(big.bytes / 1024).toFixed(0)} KB`,
    compared: `${((small.p50Ms / small.bytes) * 1024 * 1000).toFixed(1)} µs/KB at ${(small.bytes / 1024).toFixed(1)} KB`,
    ratio: "",
    goal: "no worse than proportional to bytes",
    met: proportional(buckets),
  });
}

// 5: wall time of the full npm catalog (default options) against the reference.
if (!skip.has("catalog")) {
  const ref = await serveReference();
  try {
    const env = {
      ...process.env,
      REGKIT_PERSONAL_TOKEN: ref.tokens.personal,
      REGKIT_PERSONAL_USERNAME: ref.tokens.personalUsername,
      REGKIT_DEPLOY_TOKEN: ref.tokens.deploy,
      REGKIT_DEPLOY_USERNAME: ref.tokens.deployUsername,
      REGKIT_JOB_TOKEN: ref.tokens.job,
      REGKIT_READONLY_TOKEN: ref.tokens.readonlyDeploy,
      REGKIT_READONLY_USERNAME: ref.tokens.readonlyDeployUsername,
    };
    const t0 = performance.now();
    const code = await new Promise((resolve) => {
      const child = spawn(process.execPath, [cliBin, "run", "--format", "npm", "--registry", ref.registries.npm, "--profile", "gitlab", "--reporter", `json=${root}regkit-report/bench-catalog.json`], { env, stdio: ["ignore", "ignore", "inherit"] });
      child.once("exit", resolve);
    });
    const seconds = (performance.now() - t0) / 1000;
    results.catalog = { seconds, exitCode: code };
    rows.push({ measure: "full npm catalog with the default numbers, all token kinds (s)", reference: seconds.toFixed(1), compared: "", ratio: "", goal: "< 30 s", met: seconds < 30 && code === 0 });
  } finally {
    await ref.close();
  }
}

// 6: throughput and latency under 32 concurrent publishers + readers, per format (no goal).
if (!skip.has("load")) {
  results.load = {};
  for (const kit of kits) {
    const ref = await serveReference();
    if (!ref.registries[kit.format]) {
      await ref.close();
      continue;
    }
    try {
      let load;
      try {
        load = await concurrentLoad(kit, ref);
      } catch (error) {
        // One format failing under load is a finding for the table, not the end of the run.
        results.load[kit.format] = { error: String(error?.message ?? error) };
        rows.push({ measure: `32 concurrent clients (24 publishers, 8 readers), ${kit.format}`, reference: `error: ${results.load[kit.format].error.slice(0, 120)}`, compared: "", ratio: "", goal: "", met: undefined });
        continue;
      }
      results.load[kit.format] = load;
      rows.push({ measure: `32 concurrent clients (24 publishers, 8 readers), ${kit.format}: req/s; p50 / p99 per request (ms)`, reference: `${load.requestsPerSecond.toFixed(0)}; ${load.p50Ms.toFixed(1)} / ${load.p99Ms.toFixed(1)}`, compared: "", ratio: "", goal: "", met: undefined });
    } finally {
      await ref.close();
    }
  }
}

// 7: the demo, every format, default numbers; where its time goes.
if (!skip.has("demo")) {
  const demo = await demoBench({ log });
  results.demo = demo;
  const perFormat = Object.entries(demo.formats).map(([f, t]) => `${f} ${t.seconds.toFixed(0)}`).join(", ");
  rows.push({ measure: `the demo, default numbers, ${Object.keys(demo.formats).length} formats, ${demo.formatsAtOnce} at a time (s; per format: ${perFormat})`, reference: demo.wallSeconds.toFixed(0), compared: "", ratio: "", goal: "< 120 s", met: demo.wallSeconds < 120 && demo.exitCode === 0 });
} else {
  results.demo = { skipped: "BENCH_SKIP=demo" };
}

// 8: OCI, the reference against docker-registry: blob push and pull, tags/list with 300 tags (oci.mjs).
if (!skip.has("oci")) await ociBench({ seconds: SECONDS, log, results, rows });

results.loadAverage.end = os.loadavg()[0];
await mkdir(`${root}regkit-report`, { recursive: true });
const benchFile = `${root}regkit-report/bench.json`;
await writeFile(benchFile, `${JSON.stringify({ results, rows }, null, 2)}\n`);
const header = ["measure", "reference", "compared with", "ratio", "goal", "met"];
const lines = [header, ...rows.map((r) => (Array.isArray(r) ? r : [r.measure, r.reference, r.compared, r.ratio, r.goal, r.met])).map((r) => [...r.slice(0, 5), r[5] === undefined ? "" : r[5] ? "yes" : "NO"])];
const widths = header.map((_, i) => Math.max(...lines.map((l) => String(l[i] ?? "").length)));
for (const l of lines) console.log(l.map((c, i) => String(c ?? "").padEnd(widths[i])).join("  "));
console.log(`\nwritten: regkit-report/bench.json (node ${process.version}, ${results.cpus} cpus)`);
if (skip.size === 0 && process.env.BENCH_README !== "0") {
  await updateReadme(benchFile);
  console.log("README.md benchmark blocks rewritten from it (and copied to tooling/bench/figures.json)");
} else {
  console.log("README.md left as it is (a partial run); `node tooling/bench/readme.mjs` rewrites it from regkit-report/bench.json");
}
