import { randomBytes } from "node:crypto";
import { createBLAKE2b } from "hash-wasm";
import { valid } from "@renovatebot/pep440";
import {
  ConformanceFailure,
  ProtocolError,
  expectStatus,
  type Artifact,
  type Content,
  type Downloaded,
  type Exchange,
  type ListedFile,
  type PublishOutcome,
  type RegistryClient,
  type Session,
} from "@regkit/core";
import { normalizeName, parseDistFilename } from "./names.js";
import type { PypiProfile } from "./profiles.js";
import { HTML_TYPE, JSON_TYPE, parseSimpleHtml, parseSimpleJson, type SimpleFile } from "./simple.js";

/** A project page as read, with how it was served. */
export interface ProjectPage {
  readonly files: readonly SimpleFile[];
  readonly contentType: string;
  readonly status: number;
  readonly exchange: Exchange;
  /** The URL the page was finally read from (after redirects). */
  readonly url: string;
}

export interface PypiClient extends RegistryClient {
  /** GET <simple>/<name>/ with an Accept header, following redirects within the registry; undefined on 404 or a redirect to another host. */
  projectPage(name: string, accept?: string, raw?: boolean): Promise<ProjectPage | undefined>;
  /** Project names of the project list page (`<simple>/`), in the form asked for. */
  projectList(accept: string): Promise<{ names: readonly string[]; contentType: string; exchange: Exchange }>;
  /** Uploads one file with the given form fields (for invalid uploads). */
  uploadFile(artifact: Artifact, file: { filename: string; content: Content }, override?: Record<string, string>): Promise<PublishOutcome>;
}

/**
 * BLAKE2b-256 of the file, as twine sends it (`blake2_256_digest`). Node's
 * OpenSSL has BLAKE2b only with a 512-bit output, which is not a prefix of
 * the 256-bit one; hash-wasm's WebAssembly is twenty times faster than a
 * JavaScript BLAKE2b (it matters for push.large's 64 MiB).
 */
async function blake2_256(content: Content): Promise<string> {
  const hash = await createBLAKE2b(256);
  for await (const chunk of content.stream()) hash.update(chunk);
  return hash.digest("hex");
}

/** The legacy upload form twine sends, streamed with a known length. */
export async function uploadForm(
  artifact: Artifact,
  file: { filename: string; content: Content },
  override: Record<string, string> = {},
): Promise<{ body: AsyncIterable<Uint8Array>; length: number; contentType: string }> {
  const boundary = `----regkit${randomBytes(12).toString("hex")}`;
  const kind = file.filename.endsWith(".whl") ? "bdist_wheel" : "sdist";
  const fields: Record<string, string> = {
    ":action": "file_upload",
    protocol_version: "1",
    metadata_version: "2.1",
    name: artifact.name,
    version: artifact.version,
    filetype: kind,
    pyversion: kind === "sdist" ? "source" : "py3",
    summary: `regkit conformance package ${artifact.name}`,
    requires_python: ">=3.8",
    md5_digest: file.content.digests.md5,
    sha256_digest: file.content.digests.sha256,
    blake2_256_digest: await blake2_256(file.content),
    ...override,
  };
  const parts = Object.entries(fields).map(([k, v]) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="${file.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length = parts.reduce((n, p) => n + p.byteLength, 0) + head.byteLength + file.content.size + tail.byteLength;
  async function* body(): AsyncIterable<Uint8Array> {
    yield* parts;
    yield head;
    yield* file.content.stream();
    yield tail;
  }
  return { body: body(), length, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Connects the PyPI adapter (legacy upload API + simple index) to a session. */
export function connectPypi({ http, target }: Session<PypiProfile>): PypiClient {
  const profile = target.profile;
  const simple = profile.simplePath;

  const projectPage: PypiClient["projectPage"] = async (name, accept = `${JSON_TYPE}, ${HTML_TYPE};q=0.2, text/html;q=0.01`, raw = false) => {
    let path = `${simple}/${raw ? name : normalizeName(name)}/`;
    for (let hop = 0; hop < 4; hop++) {
      const res = await http.request({ method: "GET", path, headers: { accept } });
      if (res.status >= 300 && res.status < 400 && res.headers.location) {
        await res.dump();
        const next = new URL(res.headers.location, new URL(res.exchange.url));
        // A redirect to another host is a registry forwarding a name it does not
        // hold (GitLab's request forwarding to pypi.org): not found here, and not followed.
        if (next.origin !== new URL(target.registry).origin) return undefined;
        path = next.toString();
        continue;
      }
      if (res.status === 404) {
        await res.dump();
        return undefined;
      }
      await expectStatus(res, [200], `reading the project page of ${name}`);
      const type = res.headers["content-type"] ?? "";
      const pageUrl = new URL(path, `${target.registry}/`).toString();
      const absolute = /^https?:/.test(path) ? path : `${target.registry}${path}`;
      if (type.startsWith(JSON_TYPE)) {
        const doc = await res.json<Parameters<typeof parseSimpleJson>[0]>();
        return { files: parseSimpleJson(doc, absolute), contentType: type, status: res.status, exchange: res.exchange, url: absolute };
      }
      if (type.startsWith(HTML_TYPE) || type.startsWith("text/html")) {
        const text = await res.text();
        if (/^\s*[[{]/.test(text)) {
          throw new ConformanceFailure(`the project page of ${name} is JSON served as ${type}`, { expected: `HTML for ${type}`, actual: text.slice(0, 80) }, [res.exchange]);
        }
        return { files: parseSimpleHtml(text, absolute), contentType: type, status: res.status, exchange: res.exchange, url: pageUrl };
      }
      await res.dump();
      throw new ProtocolError(`GET ${res.exchange.path} -> 200: the project page came as ${type || "no content type"}, neither PEP 691 JSON nor HTML`, [res.exchange]);
    }
    throw new ProtocolError(`GET ${path}: too many redirects`);
  };

  const filesOf = async (name: string): Promise<{ page: ProjectPage; files: { file: SimpleFile; version: string }[] } | undefined> => {
    const page = await projectPage(name);
    if (!page) return undefined;
    const files = page.files.flatMap((file) => {
      const parsed = parseDistFilename(file.filename);
      return parsed && normalizeName(parsed.name) === normalizeName(name) ? [{ file, version: parsed.version }] : [];
    });
    return { page, files };
  };

  /**
   * The Accept header of the one page read behind `files` and `downloadFile`:
   * PEP 691 JSON where the target has the `pep691` capability, HTML otherwise.
   */
  const listingAccept = (): string => (target.capabilities.pep691 ? `${JSON_TYPE}, ${HTML_TYPE};q=0.2, text/html;q=0.01` : `${HTML_TYPE}, text/html;q=0.9`);

  /** GETs a file the page links (credentials only to the registry's own origin) and checks its `#sha256=` against the bytes. */
  const fetchLinked = async (page: ProjectPage, file: SimpleFile, notServed?: { name: string; version: string }): Promise<Downloaded> => {
    const res = await http.request({ method: "GET", path: file.url, noAuth: new URL(file.url).origin !== new URL(target.registry).origin });
    if (notServed && (res.status === 404 || res.status === 410)) {
      await res.dump();
      throw new ConformanceFailure(
        `${file.filename} of ${notServed.name}@${notServed.version} is listed on the project page but not served: GET ${res.exchange.path} answered ${res.status}`,
        { expected: `${file.filename} downloadable from the link the index gives (200)`, actual: `status ${res.status}` },
        [page.exchange, res.exchange],
      );
    }
    await expectStatus(res, [200], `downloading ${file.filename}`);
    const { size, digests } = await res.digest();
    if (file.sha256 && file.sha256 !== digests.sha256) {
      throw new ConformanceFailure(
        `the sha256 the index gives for ${file.filename} does not match the downloaded bytes`,
        { expected: `sha256=${file.sha256} (from the index)`, actual: `sha256=${digests.sha256}` },
        [page.exchange, res.exchange],
      );
    }
    return { size, digests, exchange: res.exchange };
  };

  const uploadFile: PypiClient["uploadFile"] = async (artifact, file, override) => {
    const form = await uploadForm(artifact, file, override);
    const res = await http.request({
      method: "POST",
      path: profile.uploadPath || "/",
      headers: { "content-type": form.contentType, "content-length": String(form.length) },
      body: form.body,
    });
    await res.dump();
    return { accepted: res.status >= 200 && res.status < 300, status: res.status, exchange: res.exchange };
  };

  return {
    projectPage,
    uploadFile,

    async projectList(accept) {
      const res = await http.request({ method: "GET", path: `${simple}/`, headers: { accept } });
      await expectStatus(res, [200], "reading the project list");
      const type = res.headers["content-type"] ?? "";
      if (type.startsWith(JSON_TYPE)) {
        const doc = await res.json<{ projects?: { name?: string }[] }>();
        return { names: (doc.projects ?? []).map((p) => p.name ?? ""), contentType: type, exchange: res.exchange };
      }
      const html = await res.text();
      return { names: [...html.matchAll(/<a\b[^>]*>([^<]*)<\/a>/gi)].map((m) => m[1]!.trim()), contentType: type, exchange: res.exchange };
    },

    // A release is one upload per file, the wheel (the main file) first. The
    // outcome is the first refused upload, else the wheel's: it is the file a
    // scenario's check is about (the one padded over the limit, the duplicate
    // with other bytes), so a wrongly accepted release shows the upload that
    // should have been refused, not the small sdist that followed it.
    async publish(artifact) {
      const first: PublishOutcome = await uploadFile(artifact, { filename: artifact.filename, content: artifact.content });
      if (!first.accepted) return first;
      for (const file of artifact.extra ?? []) {
        const outcome = await uploadFile(artifact, file);
        if (!outcome.accepted) return outcome;
      }
      return first;
    },

    async download(name, version): Promise<Downloaded> {
      const found = await filesOf(name);
      if (!found) throw new ConformanceFailure(`${name} has no project page (404)`, { expected: `the project page of ${normalizeName(name)}`, actual: "404" });
      const wanted = found.files.filter((f) => f.version === version);
      const pick = wanted.find((f) => f.file.filename.endsWith(".whl")) ?? wanted[0];
      if (!pick) {
        throw new ConformanceFailure(`${name} ${version} is missing from the project page`, { expected: `a file of version ${version}`, actual: `[${found.page.files.map((f) => f.filename).join(", ")}]` }, [found.page.exchange]);
      }
      return fetchLinked(found.page, pick.file);
    },

    async files(name): Promise<readonly ListedFile[]> {
      // One read of the project page; every link whose file name carries a
      // PEP 440 version (wheel or sdist), duplicates kept so that a file listed
      // twice shows as such. Links of other names stay: they match no upload.
      const page = await projectPage(name, listingAccept());
      if (!page) return [];
      return page.files.flatMap((file) => {
        const version = parseDistFilename(file.filename)?.version;
        if (version === undefined || valid(version) === null) return [];
        return [{ version, filename: file.filename, digests: file.sha256 ? { sha256: file.sha256 } : {} }];
      });
    },

    async downloadFile(name, version, filename): Promise<Downloaded> {
      const page = await projectPage(name, listingAccept());
      if (!page) throw new ConformanceFailure(`${name} has no project page (404), so ${filename} of ${version} cannot be downloaded`, { expected: `the project page of ${normalizeName(name)} linking ${filename}`, actual: "404" });
      const file = page.files.find((f) => f.filename === filename);
      if (!file) {
        throw new ConformanceFailure(
          `${filename} of ${name}@${version} is not linked from the project page`,
          { expected: `a link to ${filename}`, actual: `[${page.files.map((f) => f.filename).join(", ")}]` },
          [page.exchange],
        );
      }
      return fetchLinked(page, file, { name, version });
    },

    async versions(name) {
      const found = await filesOf(name);
      return found ? [...new Set(found.files.map((f) => f.version))] : [];
    },

    async metadata(name) {
      const res = await http.request({ method: "GET", path: `${simple}/${normalizeName(name)}/`, headers: { accept: "text/html" } });
      await res.text();
      return res.exchange;
    },
  };
}
