/**
 * What Terraform and OpenTofu need to reach a registry on this machine: module
 * registry hosts are reached over https only, so a plain-http registry (the
 * recording proxy a driver is given) gets a TLS front on 127.0.0.1 with a
 * throwaway self-signed certificate for the IP address, made by `openssl`
 * and handed to the client with `SSL_CERT_FILE`. The front forwards every
 * request as it is (method, path, headers, body) and streams the answer back.
 *
 * @module
 */
import { request as httpRequest } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { runTool } from "@regkit/core";

/** A TLS front: the host (`127.0.0.1:PORT`) clients use, the certificate file to trust, and how to stop it. */
export interface TlsFront {
  readonly host: string;
  readonly origin: string;
  readonly caFile: string;
  close(): Promise<void>;
}

/** Writes a self-signed certificate for 127.0.0.1 (key and certificate) into `dir` with openssl; throws with openssl's output when it fails. */
export async function makeCertificate(dir: string, signal?: AbortSignal): Promise<{ readonly key: string; readonly cert: string }> {
  const key = join(dir, "tls-key.pem");
  const cert = join(dir, "tls-cert.pem");
  const result = await runTool({
    command: "openssl",
    args: [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
      "-addext", "subjectAltName=IP:127.0.0.1",
      "-addext", "extendedKeyUsage=serverAuth",
    ],
    timeoutMs: 30_000,
    signal,
    secrets: [],
  });
  if (result.code !== 0) throw new Error(`openssl could not make a certificate for 127.0.0.1 (exit ${result.code}): ${result.output.trim().slice(-400)}`);
  return { key, cert };
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]);

/** Starts an https server on 127.0.0.1 that forwards to the plain-http `upstream` origin. */
export async function startTlsFront(upstream: string, dir: string, signal?: AbortSignal): Promise<TlsFront> {
  const { key, cert } = await makeCertificate(dir, signal);
  const target = new URL(upstream);
  // Requests still waiting on the upstream when the front closes (a registry that never answers) are ended with it.
  const pending = new Set<ReturnType<typeof httpRequest>>();
  const server = createServer({ key: await readFile(key), cert: await readFile(cert) }, (req, res) => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    headers.host = target.host;
    const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
      }
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
    });
    pending.add(up);
    up.on("close", () => pending.delete(up));
    up.on("error", (error) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`regkit tls front: ${error.message}`);
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    origin: `https://127.0.0.1:${port}`,
    caFile: cert,
    async close() {
      for (const up of pending) up.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
