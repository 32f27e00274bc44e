// Scale: 10,000 npm versions across 1,000 packages published into `regkit
// serve`, each publish followed by a packument GET (the pattern of issue 17,
// where 3,300 such publishes grew the registry to 1.2 GB). Reported: peak RSS
// (goal < 256 MB), publish latency at the start and at the end (goal: flat),
// and the packument GET after each publish against the packument's size (goal:
// proportional to its bytes, nothing worse).
import { randomBytes } from "node:crypto";
import { Pool } from "undici";
import { currentRss, median, npmPublishDocument, peakRss, percentile, serveReference } from "./common.mjs";

/**
 * Versions per package: a few big packages and many small ones, so packuments
 * range from one version to 300: 10 packages of 300 versions, the other 990
 * share the rest (7 or 8 each).
 */
export function scalePlan(packages, versions) {
  const big = Math.min(10, packages);
  const bigVersions = Math.min(300, Math.floor(versions / 2 / big));
  const rest = versions - big * bigVersions;
  const small = packages - big;
  return Array.from({ length: packages }, (_, i) =>
    i < big ? bigVersions : Math.floor(rest / small) + (i - big < rest % small ? 1 : 0),
  );
}

/**
 * Publishes round by round (every package's first version, then every
 * package's second, ...), so big packages keep growing until the end and the
 * last publishes land in the biggest packuments.
 */
export async function scaleBench({ packages = 1000, versions = 10_000, log = () => {} } = {}) {
  const plan = scalePlan(packages, versions);
  const ref = await serveReference();
  const registry = ref.registries.npm;
  const origin = new URL(registry).origin;
  const path = new URL(registry).pathname;
  const pool = new Pool(origin, { connections: 1, pipelining: 1, keepAliveTimeout: 30_000 });
  const headers = { authorization: `Bearer ${ref.tokens.personal}` };
  const tarball = randomBytes(512);
  const publishMs = [];
  const gets = [];
  let rssSamples = 0;
  let rssMax = 0;
  const sampler = setInterval(() => {
    currentRss(ref.pid).then(
      (rss) => {
        rssSamples++;
        rssMax = Math.max(rssMax, rss);
      },
      () => {},
    );
  }, 250);
  const idleRss = await currentRss(ref.pid);
  const started = performance.now();
  let seconds = 0;
  let peak = 0;
  try {
    const rounds = Math.max(...plan);
    for (let round = 0; round < rounds; round++) {
      for (let p = 0; p < plan.length; p++) {
        if (plan[p] <= round) continue;
        const name = `regkit-bench-scale-${p}`;
        const body = npmPublishDocument(name, `1.0.${round}`, tarball);
        const t0 = performance.now();
        const put = await pool.request({ method: "PUT", path: `${path}/${name}`, headers: { ...headers, "content-type": "application/json" }, body });
        await put.body.dump();
        const t1 = performance.now();
        if (put.statusCode < 200 || put.statusCode > 299) throw new Error(`scale: PUT ${path}/${name} (1.0.${round}) -> ${put.statusCode}, expected 2xx`);
        const get = await pool.request({ method: "GET", path: `${path}/${name}`, headers });
        const bytes = (await get.body.arrayBuffer()).byteLength;
        const t2 = performance.now();
        if (get.statusCode !== 200) throw new Error(`scale: GET ${path}/${name} -> ${get.statusCode}, expected 200`);
        publishMs.push(t1 - t0);
        gets.push({ bytes, ms: t2 - t1, versions: round + 1 });
        if (publishMs.length % 1000 === 0) log(`scale: ${publishMs.length} of ${versions} published, rss ${(rssMax / 1e6).toFixed(0)} MB`);
      }
    }
    seconds = (performance.now() - started) / 1000;
    peak = await peakRss(ref.pid);
  } finally {
    clearInterval(sampler);
    await pool.close();
    await ref.close();
  }

  const window = Math.min(1000, Math.floor(publishMs.length / 4));
  const start = publishMs.slice(0, window);
  const end = publishMs.slice(-window);
  return {
    packages: plan.length,
    versions: publishMs.length,
    seconds,
    idleRssBytes: idleRss,
    peakRssBytes: Math.max(peak, rssMax),
    rssSamples,
    publish: {
      window,
      startP50Ms: median(start),
      startP99Ms: percentile(start, 0.99),
      endP50Ms: median(end),
      endP99Ms: percentile(end, 0.99),
    },
    packumentGet: sizeBuckets(gets),
  };
}

/** The GETs grouped by packument size (powers of two), each with its median size and latency. */
export function sizeBuckets(gets) {
  const groups = new Map();
  for (const g of gets) {
    const bucket = 2 ** Math.floor(Math.log2(Math.max(g.bytes, 1)));
    if (!groups.has(bucket)) groups.set(bucket, []);
    groups.get(bucket).push(g);
  }
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([from, xs]) => ({ fromBytes: from, count: xs.length, bytes: median(xs.map((x) => x.bytes)), p50Ms: median(xs.map((x) => x.ms)), p99Ms: percentile(xs.map((x) => x.ms), 0.99) }));
}

/** Whether GET latency grows no faster than the bytes: the biggest bucket's p50 per byte is at most the smallest's. */
export function proportional(buckets) {
  const small = buckets[0];
  const big = buckets.at(-1);
  if (!small || !big || small === big) return undefined;
  return big.p50Ms / big.bytes <= small.p50Ms / small.bytes;
}
