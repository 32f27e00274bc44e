// A test shim for the instance-level runs: GitLab takes Conan's v1 writes at
// instance level (`PUT /api/v4/packages/conan/v1/files/…`, `DELETE
// /api/v4/packages/conan/v1/conans/…`: conanGitLabFacts.instanceLevel), but
// the reference registry's instance level is read-only (a read-only union of
// its projects' stores). This proxy forwards everything unchanged, Host
// included (so the URLs the registry answers lead back through it), except
// those writes, which it sends to the same route of project `projectId`. The
// recipe's user (`regkit+demo`) is unchanged, so what lands is what GitLab's
// instance level would store in that project.
import { type IncomingMessage, type ServerResponse, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

const INSTANCE = "/api/v4/packages/conan/v1/";

/** Where a request goes upstream: the project-level route for an instance-level write, else the path as sent. */
export function upstreamPath(method: string, path: string, projectId: number): string {
  const write = (method === "PUT" && path.startsWith(`${INSTANCE}files/`)) || (method === "DELETE" && path.startsWith(`${INSTANCE}conans/`));
  return write ? `/api/v4/projects/${projectId}/packages/conan/v1/${path.slice(INSTANCE.length)}` : path;
}

export interface InstanceWrites {
  /** Origin of the shim (`http://127.0.0.1:port`). */
  readonly url: string;
  /** The requests sent on to the project level, `METHOD path`. */
  readonly forwarded: readonly string[];
  close(): Promise<void>;
}

/** Starts the shim in front of the registry at `upstream` (an origin). */
export async function startInstanceWrites(upstream: string, projectId = 1): Promise<InstanceWrites> {
  const target = new URL(upstream);
  const forwarded: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? "GET";
    const path = upstreamPath(method, req.url ?? "/", projectId);
    if (path !== req.url) forwarded.push(`${method} ${req.url}`);
    const out = request({ host: target.hostname, port: target.port, method, path, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
