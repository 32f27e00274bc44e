import { PassThrough } from "node:stream";
import busboy from "busboy";
import { valid as validVersion } from "@renovatebot/pep440";
import {
  ReferenceError413,
  ReferenceHttpError,
  refuse,
  type ReferenceFormat,
  type ReferenceReply,
  type ReferenceRequest,
  type ReferenceRoute,
  type StagedFile,
} from "@regkit/core";
import { normalizeName, parseDistFilename, validName } from "./names.js";
import { HTML_TYPE, JSON_TYPE, escapeHtml } from "./simple.js";

const fail = refuse;

interface Upload {
  readonly fields: Record<string, string>;
  readonly file?: { readonly filename: string; readonly staged: StagedFile & { id: string } } | undefined;
}

/** Streams the multipart upload: fields kept, the `content` part staged as it arrives. */
function parseUpload(req: ReferenceRequest): Promise<Upload> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let file: Upload["file"];
    let staging: Promise<void> | undefined;
    let failure: unknown;
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: { "content-type": req.headers["content-type"] ?? "" }, limits: { fields: 100, fieldSize: 1024 * 1024, files: 1 } });
    } catch {
      reject(new ReferenceHttpError(400, "The upload must be multipart/form-data."));
      return;
    }
    parser.on("field", (name, value) => {
      fields[name] = value;
    });
    parser.on("file", (name, stream, info) => {
      if (name !== "content" || staging) {
        stream.resume();
        return;
      }
      const pass = new PassThrough();
      stream.pipe(pass);
      staging = req.store.stage(pass, req.limits.maxFileSize).then(
        (staged) => {
          file = { filename: info.filename ?? "", staged };
        },
        (error: unknown) => {
          failure = error;
          stream.unpipe(pass);
          stream.resume();
        },
      );
    });
    parser.on("error", (error) => reject(new ReferenceHttpError(400, `Malformed multipart body: ${(error as Error).message}`)));
    parser.on("close", () => {
      void (async () => {
        await staging;
        if (failure) reject(failure);
        else resolve({ fields, file });
      })();
    });
    req.body.pipe(parser);
  });
}

async function upload(req: ReferenceRequest): Promise<ReferenceReply> {
  let parsed: Upload;
  try {
    parsed = await parseUpload(req);
  } catch (error) {
    if (error instanceof ReferenceError413) fail(400, "File is too large.");
    throw error;
  }
  const { fields, file } = parsed;
  const discard = async (): Promise<void> => {
    if (file) await req.store.discard(file.staged);
  };
  try {
    if (fields[":action"] !== undefined && fields[":action"] !== "file_upload") fail(400, `Unsupported :action ${fields[":action"]}.`);
    if (!file) fail(400, "content is missing");
    const name = fields.name ?? "";
    const version = fields.version ?? "";
    if (!validName(name)) fail(400, `Invalid project name: ${name}.`);
    if (!validVersion(version)) fail(400, `Invalid version: ${version} is not a PEP 440 version.`);
    // GitLab requires the sha256 digest, and so the bytes must match it.
    if (!fields.sha256_digest) fail(400, "sha256_digest is missing");
    if (fields.sha256_digest!.toLowerCase() !== file!.staged.digests.sha256) fail(400, "sha256_digest does not match the uploaded file.");
    if (fields.md5_digest && fields.md5_digest.toLowerCase() !== file!.staged.digests.md5) fail(400, "md5_digest does not match the uploaded file.");
    const dist = parseDistFilename(file!.filename);
    if (!dist || normalizeName(dist.name) !== normalizeName(name) || dist.version !== version) {
      fail(400, `The file name ${file!.filename} does not match ${name} ${version}.`);
    }
    const key = normalizeName(name);
    const outcome = await req.store.commit({
      name: key,
      version,
      files: [{ filename: file!.filename, staged: file!.staged }],
      metadata: { name, requiresPython: fields.requires_python ?? "", summary: fields.summary ?? "" },
      // Duplicates are per file (a wheel and an sdist of one version are two
      // files), decided under the store's lock so concurrent uploads of one
      // file cannot both win.
      duplicates: "allow",
      fileDuplicates: req.policies.duplicates,
      update: (meta) => ({ ...meta, displayName: name }),
    });
    if (outcome.kind === "duplicate") fail(400, "Validation failed: File name has already been taken");
    return { status: 200, body: { message: "200 OK" } };
  } catch (error) {
    await discard().catch(() => {});
    throw error;
  }
}

/** The preferred representation per PEP 691, with q-values; undefined: 406. */
export function negotiate(accept: string | undefined): "json" | "html" | undefined {
  if (!accept || accept.trim() === "") return "html";
  const offers = accept.split(",").map((part) => {
    const [type, ...params] = part.trim().split(";");
    const q = Number(/q=([0-9.]+)/.exec(params.join(";"))?.[1] ?? 1);
    return { type: type!.trim().toLowerCase(), q: Number.isFinite(q) ? q : 0 };
  });
  const score = (types: string[]): number => Math.max(0, ...offers.filter((o) => types.includes(o.type)).map((o) => o.q));
  const json = score([JSON_TYPE, "application/vnd.pypi.simple.latest+json"]);
  const html = Math.max(score([HTML_TYPE, "application/vnd.pypi.simple.latest+html", "text/html"]), score(["*/*"]) * 0.999);
  if (json === 0 && html === 0) return undefined;
  return json >= html && json > 0 ? "json" : "html";
}

async function projectPage(req: ReferenceRequest): Promise<ReferenceReply> {
  const raw = req.params.name!;
  const key = normalizeName(raw);
  if (raw !== key) return { status: 301, headers: { location: `${req.baseUrl}/simple/${key}/` } };
  const pkg = (await req.store.get(key)) ?? fail(404, "404 Not Found");
  const form = negotiate(req.headers.accept) ?? fail(406, "Not Acceptable: ask for application/vnd.pypi.simple.v1+json or text/html");
  const files = pkg.versions.flatMap((v) =>
    v.files.map((f) => ({
      filename: f.filename,
      url: `${req.baseUrl}/files/${f.digests.sha256}/${encodeURIComponent(f.filename)}`,
      sha256: f.digests.sha256,
      requiresPython: (v.metadata as { requiresPython?: string }).requiresPython ?? "",
    })),
  );
  const headers = { vary: "Accept" };
  if (form === "json") {
    return {
      status: 200,
      headers: { ...headers, "content-type": JSON_TYPE },
      body: Buffer.from(JSON.stringify({ meta: { "api-version": "1.0" }, name: key, files: files.map((f) => ({ filename: f.filename, url: f.url, hashes: { sha256: f.sha256 }, "requires-python": f.requiresPython || null, yanked: false })) })),
    };
  }
  const links = files
    .map((f) => `<a href="${escapeHtml(`${f.url}#sha256=${f.sha256}`)}"${f.requiresPython ? ` data-requires-python="${escapeHtml(f.requiresPython)}"` : ""}>${escapeHtml(f.filename)}</a><br>`)
    .join("\n");
  const type = (req.headers.accept ?? "").includes(HTML_TYPE) ? HTML_TYPE : "text/html; charset=utf-8";
  return {
    status: 200,
    headers: { ...headers, "content-type": type },
    body: `<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0"><title>Links for ${escapeHtml(key)}</title></head>\n<body><h1>Links for ${escapeHtml(key)}</h1>\n${links}\n</body></html>\n`,
  };
}

async function projectList(req: ReferenceRequest): Promise<ReferenceReply> {
  const names = await req.store.names();
  if (negotiate(req.headers.accept) === "json") {
    return { status: 200, headers: { "content-type": JSON_TYPE, vary: "Accept" }, body: Buffer.from(JSON.stringify({ meta: { "api-version": "1.0" }, projects: names.map((name) => ({ name })) })) };
  }
  return {
    status: 200,
    headers: { "content-type": "text/html; charset=utf-8", vary: "Accept" },
    body: `<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0"><title>Simple index</title></head><body>\n${names.map((n) => `<a href="${escapeHtml(`${req.baseUrl}/simple/${n}/`)}">${escapeHtml(n)}</a><br>`).join("\n")}\n</body></html>\n`,
  };
}

async function download(req: ReferenceRequest): Promise<ReferenceReply> {
  const filename = req.params.file!;
  const dist = parseDistFilename(filename) ?? fail(404, "404 Not Found");
  const key = normalizeName(dist.name);
  const pkg = (await req.store.get(key)) ?? fail(404, "404 Not Found");
  const version = pkg.versions.find((v) => v.files.some((f) => f.filename === filename && f.digests.sha256 === req.params.sha256)) ?? fail(404, "404 Not Found");
  const opened = (await req.store.open(key, version.version, filename)) ?? fail(404, "404 Not Found");
  return { status: 200, headers: { "content-type": "application/octet-stream", "content-length": String(opened.size) }, body: opened.stream() };
}

const routes: ReferenceRoute[] = [
  { method: "POST", path: "/", access: "write", handle: upload },
  { method: "GET", path: "/simple", access: "read", handle: projectList },
  { method: "GET", path: "/simple/:name", access: "read", handle: projectPage },
  { method: "GET", path: "/files/:sha256/:file", access: "read", handle: download },
];

/** The PyPI routes of the embedded, GitLab-shaped reference registry. */
export const pypiReference: ReferenceFormat = {
  segment: "pypi",
  auth: ["basic", "headers"],
  policies: { duplicates: "reject", duplicateStatus: [400] },
  // Listed under the name it was uploaded as (the store keys the normalized one).
  listed: (pkg, version) => ({ name: typeof pkg.metadata.displayName === "string" ? pkg.metadata.displayName : pkg.name, version }),
  limits: { maxFileSize: 3 * 1024 ** 3 },
  routes,
};
