import { PassThrough } from "node:stream";
import busboy from "busboy";
import {
  ReferenceError413,
  ReferenceHttpError,
  refuse,
  type ReferenceFormat,
  type ReferenceReply,
  type ReferenceRequest,
  type ReferenceRoute,
  type StagedFile,
  type StoredPackage,
} from "@regkit/core";
import { nuspecIdentity, readNuspec } from "./nupkg.js";
import { compareNuGetVersions, normalizeNuGetVersion } from "./version.js";

const fail = refuse;

/** GitLab lists at most 300 versions of a package. */
const VERSION_CAP = 300;
const HEAD = 1024 * 1024;

interface Meta {
  readonly id: string;
  readonly nuspec: string;
  readonly description: string;
}

/** Streams the pushed package into the store, keeping its first bytes to read the nuspec. */
function parsePush(req: ReferenceRequest): Promise<{ staged: StagedFile & { id: string }; head: Buffer }> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: { "content-type": req.headers["content-type"] ?? "" }, limits: { files: 1 } });
    } catch {
      reject(new ReferenceHttpError(400, "The push must be multipart/form-data with the package."));
      return;
    }
    let staging: Promise<StagedFile & { id: string }> | undefined;
    const head: Buffer[] = [];
    let headSize = 0;
    parser.on("file", (_name, stream) => {
      if (staging) {
        stream.resume();
        return;
      }
      const pass = new PassThrough();
      stream.on("data", (chunk: Buffer) => {
        if (headSize < HEAD) {
          head.push(chunk.subarray(0, HEAD - headSize));
          headSize += Math.min(chunk.length, HEAD - headSize);
        }
      });
      stream.pipe(pass);
      staging = req.store.stage(pass, req.limits.maxFileSize);
      staging.catch(() => {
        stream.unpipe(pass);
        stream.resume();
      });
    });
    parser.on("error", (error) => reject(new ReferenceHttpError(400, `Malformed multipart body: ${(error as Error).message}`)));
    parser.on("close", () => {
      if (!staging) {
        reject(new ReferenceHttpError(400, "package is missing"));
        return;
      }
      staging.then((staged) => resolve({ staged, head: Buffer.concat(head) }), reject);
    });
    req.body.pipe(parser);
  });
}

async function push(req: ReferenceRequest): Promise<ReferenceReply> {
  let pushed: Awaited<ReturnType<typeof parsePush>>;
  try {
    pushed = await parsePush(req);
  } catch (error) {
    if (error instanceof ReferenceError413) fail(400, "File is too large.");
    throw error;
  }
  try {
    const nuspec = readNuspec(pushed.head) ?? fail(400, "The package has no readable .nuspec at its root.");
    const identity = nuspecIdentity(nuspec) ?? fail(400, "The nuspec has no id or version.");
    const version = normalizeNuGetVersion(identity.version) ?? fail(400, `Invalid version: ${identity.version}.`);
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(identity.id) || identity.id.length > 100) fail(400, `Invalid package id: ${identity.id}.`);
    const key = identity.id.toLowerCase();
    const filename = `${key}.${version.toLowerCase()}.nupkg`;
    const description = /<description>([\s\S]*?)<\/description>/.exec(nuspec)?.[1] ?? "";
    const outcome = await req.store.commit({
      name: key,
      version,
      files: [{ filename, staged: pushed.staged }],
      metadata: { id: identity.id, nuspec, description } satisfies Meta,
      duplicates: req.policies.duplicates,
      update: (meta) => ({ ...meta, id: (meta as { id?: string }).id ?? identity.id }),
    });
    if (outcome.kind === "duplicate") fail(400, "Validation failed: Duplicate package is not allowed");
    return { status: 201, body: { message: "201 Created" } };
  } catch (error) {
    await req.store.discard(pushed.staged).catch(() => {});
    throw error;
  }
}

function sorted(pkg: StoredPackage): StoredPackage["versions"] {
  return [...pkg.versions].sort((a, b) => compareNuGetVersions(a.version, b.version)).slice(-VERSION_CAP);
}

const findVersion = (pkg: StoredPackage, version: string): StoredPackage["versions"][number] | undefined => {
  const wanted = normalizeNuGetVersion(version);
  return pkg.versions.find((v) => wanted !== undefined && v.version.toLowerCase() === wanted.toLowerCase());
};

async function mustGet(req: ReferenceRequest, id: string): Promise<StoredPackage> {
  return (await req.store.get(id.toLowerCase())) ?? fail(404, "404 Not Found");
}

function leaf(req: ReferenceRequest, pkg: StoredPackage, v: StoredPackage["versions"][number]) {
  const id = (v.metadata as Meta).id;
  const lower = v.version.toLowerCase();
  return {
    "@id": `${req.baseUrl}/metadata/${pkg.name}/${lower}.json`,
    packageContent: `${req.baseUrl}/download/${pkg.name}/${lower}/${pkg.name}.${lower}.nupkg`,
    catalogEntry: { "@id": `${req.baseUrl}/metadata/${pkg.name}/${lower}.json`, id, version: v.version, authors: "regkit", description: (v.metadata as Meta).description, listed: true, published: v.createdAt },
  };
}

const routes: ReferenceRoute[] = [
  {
    method: "GET",
    path: "/index.json",
    access: "public",
    async handle(req) {
      const base = req.baseUrl;
      const resource = (id: string, type: string) => ({ "@id": id, "@type": type });
      return {
        status: 200,
        body: {
          version: "3.0.0",
          resources: [
            resource(base, "PackagePublish/2.0.0"),
            resource(`${base}/download`, "PackageBaseAddress/3.0.0"),
            resource(`${base}/metadata`, "RegistrationsBaseUrl"),
            resource(`${base}/metadata`, "RegistrationsBaseUrl/3.0.0-rc"),
            resource(`${base}/metadata`, "RegistrationsBaseUrl/3.0.0-beta"),
            resource(`${base}/metadata`, "RegistrationsBaseUrl/3.6.0"),
            resource(`${base}/query`, "SearchQueryService"),
            resource(`${base}/query`, "SearchQueryService/3.0.0-beta"),
            resource(`${base}/query`, "SearchQueryService/3.0.0-rc"),
            resource(`${base}/query`, "SearchQueryService/3.5.0"),
          ],
        },
      };
    },
  },
  { method: "PUT", path: "/", access: "write", handle: push },
  { method: "PUT", path: "/v2", access: "write", handle: push },
  {
    method: "GET",
    path: "/download/:id/index.json",
    access: "read",
    handle: async (req) => ({ status: 200, body: { versions: sorted(await mustGet(req, req.params.id!)).map((v) => v.version.toLowerCase()) } }),
  },
  {
    method: "GET",
    path: "/download/:id/:version/:file",
    access: "read",
    async handle(req): Promise<ReferenceReply> {
      const pkg = await mustGet(req, req.params.id!);
      const v = findVersion(pkg, req.params.version!) ?? fail(404, "404 Not Found");
      const lower = v.version.toLowerCase();
      const file = req.params.file!.toLowerCase();
      if (file === `${pkg.name}.nuspec`) return { status: 200, headers: { "content-type": "application/xml" }, body: (v.metadata as Meta).nuspec };
      if (file !== `${pkg.name}.${lower}.nupkg`) fail(404, "404 Not Found");
      const opened = (await req.store.open(pkg.name, v.version, file)) ?? fail(404, "404 Not Found");
      return { status: 200, headers: { "content-type": "application/octet-stream", "content-length": String(opened.size) }, body: opened.stream() };
    },
  },
  {
    method: "GET",
    path: "/metadata/:id/index.json",
    access: "read",
    async handle(req) {
      const pkg = await mustGet(req, req.params.id!);
      const versions = sorted(pkg);
      const items = versions.map((v) => leaf(req, pkg, v));
      return {
        status: 200,
        body: { count: 1, items: [{ "@id": `${req.baseUrl}/metadata/${pkg.name}/index.json#page`, count: items.length, lower: versions[0]?.version, upper: versions.at(-1)?.version, items }] },
      };
    },
  },
  {
    method: "GET",
    path: "/metadata/:id/:leaf",
    access: "read",
    async handle(req) {
      const pkg = await mustGet(req, req.params.id!);
      const v = findVersion(pkg, req.params.leaf!.replace(/\.json$/, "")) ?? fail(404, "404 Not Found");
      return { status: 200, body: leaf(req, pkg, v) };
    },
  },
  {
    method: "GET",
    path: "/query",
    access: "read",
    async handle(req) {
      const q = (req.query.get("q") ?? "").toLowerCase();
      const skip = Math.max(0, Number(req.query.get("skip") ?? 0) || 0);
      const take = Math.min(100, Math.max(0, Number(req.query.get("take") ?? 20) || 20));
      const prerelease = req.query.get("prerelease") === "true";
      const data = [];
      for (const name of await req.store.names()) {
        const pkg = await req.store.get(name);
        if (!pkg) continue;
        const versions = sorted(pkg).filter((v) => prerelease || !v.version.includes("-"));
        if (versions.length === 0) continue;
        const latest = versions.at(-1)!;
        const meta = latest.metadata as Meta;
        if (q && !`${meta.id} ${meta.description}`.toLowerCase().includes(q)) continue;
        data.push({ "@type": "Package", registration: `${req.baseUrl}/metadata/${name}/index.json`, id: meta.id, version: latest.version, description: meta.description, versions: versions.map((v) => ({ version: v.version, downloads: 0 })) });
      }
      data.sort((a, b) => a.id.localeCompare(b.id));
      return { status: 200, body: { totalHits: data.length, data: data.slice(skip, skip + take) } };
    },
  },
  {
    method: "DELETE",
    path: "/:id/:version",
    access: "write",
    async handle(req) {
      const pkg = await mustGet(req, req.params.id!);
      const v = findVersion(pkg, req.params.version!) ?? fail(404, "404 Not Found");
      await req.store.remove(pkg.name, v.version);
      return { status: 204 };
    },
  },
];

/** The NuGet routes of the embedded, GitLab-shaped reference registry. */
export const nugetReference: ReferenceFormat = {
  segment: "nuget",
  auth: ["basic", "headers"],
  policies: { duplicates: "allow", duplicateStatus: [400] },
  limits: { maxFileSize: 500 * 1024 * 1024 },
  routes,
};
