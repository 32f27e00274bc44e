// OCI: the reference registry (`regkit serve`, its own process) against
// Debian's docker-registry (the distribution project's server 2.8), side by
// side in one run, as ratios (reported, never asserted in tests):
//   blob push throughput (MB/s): monolithic uploads (POST, then PUT with the digest)
//   blob pull throughput (MB/s): GET of a pushed blob, 4 connections
//   tags/list with 300 tags (req/s, 8 connections)
// Both servers are read and written by the same client code (undici, raw
// distribution-spec requests) with their own auth: the reference's token flow
// (GitLab's /jwt/auth) and docker-registry's htpasswd Basic. A run alternates
// rounds between the two, so a machine that slows down meanwhile slows both.
// Environment: BENCH_OCI_BLOB_MB (blob size, default 32), BENCH_OCI_BLOBS
// (blobs pushed per round, default 4).
import { createHash, randomBytes } from "node:crypto";
import { Agent, request } from "undici";
import { distributionUnavailable, startDistribution } from "../testing/oci-registries.mjs";
import { median, serveReference } from "./common.mjs";

const MB = 1e6;
const TAGS = 300;

/** The `Authorization` header for a repository: Bearer from the registry's realm, or Basic. */
async function authorize(origin, repository, username, password, dispatcher) {
  const basic = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  const ping = await request(`${origin}/v2/`, { dispatcher });
  await ping.body.dump();
  const challenge = String(ping.headers["www-authenticate"] ?? "");
  if (!/^bearer /i.test(challenge)) return basic;
  const param = (key) => new RegExp(`${key}="([^"]*)"`, "i").exec(challenge)?.[1];
  const realm = param("realm");
  if (!realm) throw new Error(`oci bench: ${origin} challenges with Bearer but names no realm: ${challenge}`);
  const url = new URL(realm);
  const service = param("service");
  if (service) url.searchParams.set("service", service);
  url.searchParams.set("scope", `repository:${repository}:pull,push`);
  const res = await request(url, { headers: { authorization: basic }, dispatcher });
  const body = await res.body.json();
  const token = body.token ?? body.access_token;
  if (res.statusCode !== 200 || !token) throw new Error(`oci bench: GET ${url.pathname} -> ${res.statusCode}, no token`);
  return `Bearer ${token}`;
}

/** One monolithic blob upload: POST for a session, PUT of the bytes with the digest. */
async function pushBlob(origin, repository, auth, bytes, dispatcher) {
  const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  const started = await request(`${origin}/v2/${repository}/blobs/uploads/`, { method: "POST", headers: { authorization: auth, "content-length": "0" }, dispatcher });
  await started.body.dump();
  if (started.statusCode !== 202) throw new Error(`oci bench: POST /v2/${repository}/blobs/uploads/ -> ${started.statusCode}, expected 202`);
  const location = new URL(String(started.headers.location), origin);
  location.searchParams.set("digest", digest);
  const put = await request(location, { method: "PUT", headers: { authorization: auth, "content-type": "application/octet-stream", "content-length": String(bytes.length) }, body: bytes, dispatcher });
  await put.body.dump();
  if (put.statusCode !== 201) throw new Error(`oci bench: PUT ${location.pathname} -> ${put.statusCode}, expected 201`);
  return digest;
}

/** Requests per second (and bytes per second) of GETs of `url` on `connections` loops for `seconds`. */
async function loadGet(url, auth, { seconds, connections, expectBytes, dispatcher }) {
  let count = 0;
  let bytes = 0;
  const end = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const res = await request(url, { headers: { authorization: auth }, dispatcher });
      let got = 0;
      for await (const chunk of res.body) got += chunk.length;
      if (res.statusCode !== 200) throw new Error(`oci bench: GET ${new URL(url).pathname} -> ${res.statusCode}`);
      if (expectBytes !== undefined && got !== expectBytes) throw new Error(`oci bench: GET ${new URL(url).pathname} sent ${got} bytes, not ${expectBytes}`);
      count += 1;
      bytes += got;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, loop));
  const elapsed = (performance.now() - t0) / 1000;
  return { rps: count / elapsed, mbps: bytes / MB / elapsed };
}

/** A server under test: its origin, a repository, and an Authorization for it. */
async function prepare(name, origin, repository, username, password) {
  const dispatcher = new Agent({ connections: 16, keepAliveTimeout: 10_000 });
  const auth = await authorize(origin, repository, username, password, dispatcher);
  // 300 tags on one small image: the config blob and a layer, then one manifest under each tag.
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
  const layer = randomBytes(1024);
  const configDigest = await pushBlob(origin, repository, auth, config, dispatcher);
  const layerDigest = await pushBlob(origin, repository, auth, layer, dispatcher);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length },
      layers: [{ mediaType: "application/octet-stream", digest: layerDigest, size: layer.length }],
    }),
  );
  for (let i = 0; i < TAGS; i++) {
    const res = await request(`${origin}/v2/${repository}/manifests/v${i}`, { method: "PUT", headers: { authorization: auth, "content-type": "application/vnd.oci.image.manifest.v1+json" }, body: manifest, dispatcher });
    await res.body.dump();
    if (res.statusCode !== 201) throw new Error(`oci bench: PUT /v2/${repository}/manifests/v${i} -> ${res.statusCode}, expected 201`);
  }
  // The whole list in one answer where the server pages (the spec's `n`); docker-registry 2.8 ignores it and sends all.
  const tagsUrl = `${origin}/v2/${repository}/tags/list?n=${TAGS}`;
  const listed = await request(tagsUrl, { headers: { authorization: auth }, dispatcher });
  const doc = await listed.body.json();
  if (listed.statusCode !== 200 || doc.tags?.length !== TAGS) throw new Error(`oci bench: ${name} GET tags/list -> ${listed.statusCode} with ${doc.tags?.length} tags, expected ${TAGS}`);
  return { name, origin, repository, auth, dispatcher, tagsUrl };
}

async function pushRound(server, blobs) {
  const t0 = performance.now();
  for (const blob of blobs) await pushBlob(server.origin, server.repository, server.auth, blob, server.dispatcher);
  return blobs.reduce((n, b) => n + b.length, 0) / MB / ((performance.now() - t0) / 1000);
}

/**
 * Measures and appends its rows to `rows` and its figures to `results.oci`
 * (the shapes run.mjs writes to regkit-report/bench.json).
 */
export async function ociBench({ seconds = 5, rounds = 3, log = () => {}, results, rows }) {
  const why = await distributionUnavailable({ auth: "htpasswd" });
  if (why) {
    results.oci = { skipped: why };
    rows.push({ measure: "OCI blob push / pull, tags/list vs docker-registry", reference: "", compared: `skipped: ${why}`, ratio: "", goal: "", met: undefined });
    return;
  }
  const blobMb = Number(process.env.BENCH_OCI_BLOB_MB ?? 32);
  const blobCount = Number(process.env.BENCH_OCI_BLOBS ?? 4);
  const ref = await serveReference();
  const distribution = await startDistribution({ auth: "htpasswd" });
  const servers = [];
  try {
    const refEndpoint = ref.registries?.oci;
    if (!refEndpoint) throw new Error("oci bench: `regkit serve` printed no registries.oci (rebuild the CLI with the OCI kit: pnpm --filter @regkit/cli build)");
    const refUrl = new URL(refEndpoint);
    servers.push(await prepare("reference", refUrl.origin, `${refUrl.pathname.replace(/^\/+|\/+$/g, "")}/bench`, ref.tokens.personalUsername, ref.tokens.personal));
    servers.push(await prepare("docker-registry", distribution.url, "regkit/bench", distribution.username, distribution.password));
    const figures = Object.fromEntries(servers.map((s) => [s.name, { pushMBps: [], pullMBps: [], tagsRps: [] }]));
    const pullDigest = {};
    const pullBlob = randomBytes(blobMb * 1e6);
    for (const s of servers) pullDigest[s.name] = await pushBlob(s.origin, s.repository, s.auth, pullBlob, s.dispatcher);
    for (let r = 0; r < rounds; r++) {
      // Fresh random bytes each round, so no server can skip an upload it has seen.
      for (const s of servers) {
        const blobs = Array.from({ length: blobCount }, () => randomBytes(blobMb * 1e6));
        figures[s.name].pushMBps.push(await pushRound(s, blobs));
        const pull = await loadGet(`${s.origin}/v2/${s.repository}/blobs/${pullDigest[s.name]}`, s.auth, { seconds, connections: 4, expectBytes: pullBlob.length, dispatcher: s.dispatcher });
        figures[s.name].pullMBps.push(pull.mbps);
        const tags = await loadGet(s.tagsUrl, s.auth, { seconds, connections: 8, dispatcher: s.dispatcher });
        figures[s.name].tagsRps.push(tags.rps);
        log(`oci round ${r + 1}, ${s.name}: push ${figures[s.name].pushMBps.at(-1).toFixed(0)} MB/s, pull ${pull.mbps.toFixed(0)} MB/s, tags/list ${tags.rps.toFixed(0)} req/s`);
      }
    }
    const m = (name, key) => median(figures[name][key]);
    const out = {
      blobBytes: blobMb * 1e6,
      blobsPerRound: blobCount,
      tags: TAGS,
      seconds,
      rounds,
      reference: { pushMBps: m("reference", "pushMBps"), pullMBps: m("reference", "pullMBps"), tagsRps: m("reference", "tagsRps") },
      dockerRegistry: { pushMBps: m("docker-registry", "pushMBps"), pullMBps: m("docker-registry", "pullMBps"), tagsRps: m("docker-registry", "tagsRps") },
    };
    results.oci = out;
    const row = (measure, key, digits) => {
      const a = out.reference[key];
      const b = out.dockerRegistry[key];
      rows.push({ measure, reference: a.toFixed(digits), compared: `docker-registry 2.8: ${b.toFixed(digits)}`, ratio: `${(a / b).toFixed(2)}x`, goal: "", met: undefined });
    };
    row(`OCI blob push, ${blobCount} x ${blobMb} MB monolithic uploads (MB/s)`, "pushMBps", 0);
    row(`OCI blob pull, ${blobMb} MB blob (MB/s, 4 connections)`, "pullMBps", 0);
    row(`OCI tags/list, ${TAGS} tags (req/s, 8 connections)`, "tagsRps", 0);
  } finally {
    for (const s of servers) await s.dispatcher.close();
    await distribution.close();
    await ref.close();
  }
}
