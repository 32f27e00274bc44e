// Metadata speed against nginx serving the same bytes from a file, side by
// side in one run (goal: the reference at least half nginx's requests per
// second). The document is a 300-version npm packument, the registry's most
// requested and biggest metadata; both are read by the same client with the
// same number of connections, in alternating rounds after a warm-up, so a
// machine that slows down meanwhile slows both.
import { randomBytes } from "node:crypto";
import { request } from "undici";
import { median, npmPublishDocument, serveReference } from "./common.mjs";
import { nginxUnavailable, startNginxFiles, throughput, wrkUnavailable } from "./nginx.mjs";

export async function metadataVsNginx({ versions = 300, seconds = 5, rounds = 3, connections = 4, log = () => {} } = {}) {
  const unavailable = nginxUnavailable();
  if (unavailable) return { skipped: unavailable };
  const ref = await serveReference();
  let nginx;
  try {
    const registry = ref.registries.npm;
    const headers = { authorization: `Bearer ${ref.tokens.personal}` };
    const name = "regkit-bench-metadata";
    const tarball = randomBytes(512);
    for (let i = 0; i < versions; i++) {
      // Manifests with the fields real packages carry, so the packument is as big as a real one.
      const extra = { keywords: ["regkit", "benchmark", `v${i}`], repository: { type: "git", url: "https://example.invalid/regkit.git" }, devDependencies: { vitest: "^5.0.0", typescript: "^5.9.0" }, engines: { node: ">=22" } };
      const res = await request(`${registry}/${name}`, { method: "PUT", headers: { ...headers, "content-type": "application/json" }, body: npmPublishDocument(name, `1.0.${i}`, tarball, extra) });
      await res.body.dump();
      if (res.statusCode < 200 || res.statusCode > 299) throw new Error(`metadata: PUT ${registry}/${name} -> ${res.statusCode}, expected 2xx`);
    }
    const url = `${registry}/${name}`;
    const got = await request(url, { headers });
    const bytes = Buffer.from(await got.body.arrayBuffer());
    if (got.statusCode !== 200) throw new Error(`metadata: GET ${url} -> ${got.statusCode}`);
    nginx = await startNginxFiles({ [name]: bytes });
    const fileUrl = `${nginx.url}/${name}`;
    const check = await request(fileUrl);
    const served = Buffer.from(await check.body.arrayBuffer());
    if (!served.equals(bytes)) throw new Error(`metadata: nginx served ${served.length} bytes, not the ${bytes.length} of the packument`);
    const options = { seconds, connections, expectBytes: bytes.length };
    // Warm-up: the JIT, the render cache, nginx's page cache; not counted.
    await throughput(url, headers, { ...options, seconds: 2 });
    await throughput(fileUrl, {}, { ...options, seconds: 2 });
    const refRps = [];
    const nginxRps = [];
    let client = "";
    for (let r = 0; r < rounds; r++) {
      const n = await throughput(fileUrl, {}, options);
      const m = await throughput(url, headers, options);
      nginxRps.push(n.rps);
      refRps.push(m.rps);
      client = m.client;
      log(`metadata round ${r + 1}: reference ${m.rps.toFixed(0)} req/s, nginx ${n.rps.toFixed(0)} req/s`);
    }
    const reference = median(refRps);
    const yardstick = median(nginxRps);
    return {
      versions,
      bytes: bytes.length,
      connections,
      seconds,
      rounds,
      client,
      clientNote: client === "wrk" ? undefined : wrkUnavailable(),
      referenceRps: reference,
      nginxRps: yardstick,
      referenceRounds: refRps,
      nginxRounds: nginxRps,
      ratio: reference / yardstick,
    };
  } finally {
    await nginx?.close();
    await ref.close();
  }
}
