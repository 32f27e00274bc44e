import {
  ConformanceFailure,
  ProtocolError,
  expectStatus,
  type Artifact,
  type Digests,
  type Downloaded,
  type Exchange,
  type HttpResponse,
  type ListedFile,
  type PublishOutcome,
  type RegistryClient,
  type Session,
} from "@regkit/core";
import { basename, encodeName, tarballName } from "./names.js";
import type { NpmProfile } from "./profiles.js";

/** `application/vnd.npm.install-v1+json`: the abbreviated packument npm install asks for. */
export const ABBREVIATED = "application/vnd.npm.install-v1+json";

export interface NpmManifest {
  readonly name: string;
  readonly version: string;
  readonly description?: string;
  readonly dist: { readonly tarball: string; readonly shasum: string; readonly integrity?: string };
  readonly [key: string]: unknown;
}

export interface Packument {
  readonly name: string;
  readonly "dist-tags"?: Record<string, string>;
  readonly versions: Record<string, NpmManifest>;
  readonly time?: Record<string, string>;
  readonly _rev?: string;
  readonly modified?: string;
  readonly [key: string]: unknown;
}

/** The npm adapter, with the npm-only calls the npm scenarios use. */
export interface NpmClient extends RegistryClient {
  /** dist-tags.latest of the abbreviated packument (the adapter always has it: npm.dist-tags reads it). */
  latest(name: string): Promise<string | undefined>;
  /** GET /<name>, full or abbreviated; undefined on 404 or a redirect elsewhere (a registry forwarding unknown names). */
  packument(name: string, abbreviated?: boolean): Promise<{ packument: Packument; contentType: string; exchange: Exchange } | undefined>;
  distTags(name: string): Promise<Record<string, string>>;
  setDistTag(name: string, tag: string, version: string): Promise<Exchange>;
  removeDistTag(name: string, tag: string): Promise<Exchange>;
  /** Publishes a raw publish document (for invalid-name checks). */
  publishDocument(name: string, document: unknown): Promise<PublishOutcome>;
}

/** sha512 hex -> `sha512-<base64>` (Subresource Integrity). */
export function integrityOf(sha512Hex: string): string {
  return `sha512-${Buffer.from(sha512Hex, "hex").toString("base64")}`;
}

/** The sha512 hex of an SRI string, or undefined when it has no sha512 entry. */
export function sha512OfIntegrity(integrity: string | undefined): string | undefined {
  const entry = integrity?.split(/\s+/).find((e) => e.startsWith("sha512-"));
  return entry ? Buffer.from(entry.slice(7), "base64").toString("hex") : undefined;
}

/**
 * The file a `dist.tarball` URL names, as regkit names the tarball
 * (`tarballName`): the path after `/-/`, decoded. Verdaccio leaves the scope
 * out of a scoped package's file (`/@scope/pkg/-/pkg-1.0.0.tgz`), GitLab
 * repeats it (`/@scope/pkg/-/@scope/pkg-1.0.0.tgz`): both are
 * `@scope/pkg-1.0.0.tgz`. Undefined when the URL is not absolute.
 */
export function tarballFile(name: string, tarball: string): string | undefined {
  let path: string;
  try {
    path = new URL(tarball).pathname;
  } catch {
    return undefined;
  }
  const at = path.lastIndexOf("/-/");
  const raw = at >= 0 ? path.slice(at + 3) : path.slice(path.lastIndexOf("/") + 1);
  let file: string;
  try {
    file = decodeURIComponent(raw);
  } catch {
    file = raw;
  }
  if (name.startsWith("@") && !file.startsWith("@") && file.startsWith(`${basename(name)}-`)) file = `${name.slice(0, name.indexOf("/"))}/${file}`;
  return file;
}

/** What a version's `dist` lists: its tarball's file name and the digests it announces (`shasum` as sha1, `integrity`'s sha512 when there is one). */
export function listedFile(name: string, version: string, manifest: NpmManifest | undefined): ListedFile | undefined {
  const dist = manifest?.dist as Partial<NpmManifest["dist"]> | undefined;
  const filename = typeof dist?.tarball === "string" ? tarballFile(name, dist.tarball) : undefined;
  if (!dist || !filename) return undefined;
  const sha512 = sha512OfIntegrity(typeof dist.integrity === "string" ? dist.integrity : undefined);
  const digests: Partial<Digests> = {
    ...(typeof dist.shasum === "string" ? { sha1: dist.shasum.toLowerCase() } : {}),
    ...(sha512 ? { sha512 } : {}),
  };
  return { version, filename, digests };
}

const SENTINEL = "__regkit_attachment_data__";

/**
 * The publish document npm sends (libnpmpublish), with the manifest's dist
 * fields from the tarball's digests; the attachment key carries the full name
 * (`@scope/pkg-1.0.0.tgz`), as GitLab looks it up.
 */
export function publishDocument(registry: string, artifact: Artifact, description?: string): { document: Record<string, unknown>; file: string } {
  const { name, version } = artifact;
  const file = tarballName(name, version);
  const manifest = {
    name,
    version,
    description: description ?? `regkit conformance package ${name}`,
    license: "MIT",
    main: "index.js",
    _id: `${name}@${version}`,
    dist: {
      integrity: integrityOf(artifact.content.digests.sha512),
      shasum: artifact.content.digests.sha1,
      tarball: `${registry}/${name}/-/${file}`,
    },
  };
  return {
    file,
    document: {
      _id: name,
      name,
      description: manifest.description,
      "dist-tags": { latest: version },
      versions: { [version]: manifest },
      access: null,
      _attachments: { [file]: { content_type: "application/octet-stream", length: artifact.content.size, data: SENTINEL } },
    },
  };
}

/** Bytes encoded at a time: a multiple of 3, so slices need no padding. */
const BASE64_SLICE = 3 * 16 * 1024;

/** Streams the publish document: JSON around the tarball, base64-encoded chunk by chunk. */
export function streamPublishBody(document: Record<string, unknown>, content: Artifact["content"]): { body: AsyncIterable<Uint8Array>; length: number } {
  const json = JSON.stringify(document);
  const at = json.indexOf(`"${SENTINEL}"`);
  const prefix = Buffer.from(`${json.slice(0, at)}"`);
  const suffix = Buffer.from(`"${json.slice(at + SENTINEL.length + 2)}`);
  const length = prefix.byteLength + 4 * Math.ceil(content.size / 3) + suffix.byteLength;
  async function* body(): AsyncIterable<Uint8Array> {
    yield prefix;
    // Input gathered to at least one slice, so that small pieces (a stored
    // gzip yields 5-byte block headers) do not each become a tiny write.
    let pending: Uint8Array[] = [];
    let pendingSize = 0;
    for await (const chunk of content.stream()) {
      pending.push(chunk);
      pendingSize += chunk.byteLength;
      if (pendingSize < BASE64_SLICE) continue;
      const bytes = Buffer.concat(pending, pendingSize);
      const whole = bytes.byteLength - (bytes.byteLength % 3);
      // Encoded in slices: V8 turns a 48 KiB slice into base64 several times
      // faster per byte than a 1 MiB one.
      for (let at = 0; at < whole; at += BASE64_SLICE) yield Buffer.from(bytes.subarray(at, Math.min(whole, at + BASE64_SLICE)).toString("base64"));
      const rest = bytes.subarray(whole);
      pending = rest.byteLength ? [rest] : [];
      pendingSize = rest.byteLength;
    }
    if (pendingSize) yield Buffer.from(Buffer.concat(pending, pendingSize).toString("base64"));
    yield suffix;
  }
  return { body: body(), length };
}

async function outcome(res: HttpResponse): Promise<PublishOutcome> {
  await res.dump();
  return { accepted: res.status >= 200 && res.status < 300, status: res.status, exchange: res.exchange };
}

/** Connects the npm protocol adapter to a session. */
export function connectNpm({ http, target }: Session<NpmProfile>): NpmClient {
  const registry = target.registry;
  const origin = new URL(registry).origin;
  const pkgPath = (name: string): string => `/${encodeName(name)}`;

  const packument: NpmClient["packument"] = async (name, abbreviated = false) => {
    const res = await http.request({ method: "GET", path: pkgPath(name), headers: { accept: abbreviated ? `${ABBREVIATED}, application/json;q=0.8` : "application/json" } });
    // A redirect is a registry forwarding a package it does not have (GitLab's
    // npm_package_requests_forwarding sends unknown names to registry.npmjs.org).
    if (res.status === 404 || (res.status >= 301 && res.status <= 308 && res.headers.location !== undefined)) {
      await res.dump();
      return undefined;
    }
    await expectStatus(res, [200], `reading the packument of ${name}`);
    const doc = await res.json<Packument>();
    if (!doc || typeof doc !== "object" || typeof doc.versions !== "object" || doc.versions === null) {
      throw new ProtocolError(`GET ${pkgPath(name)} -> 200: not a packument (no versions object)`, [res.exchange]);
    }
    return { packument: doc, contentType: res.headers["content-type"] ?? "", exchange: res.exchange };
  };

  const write = async (method: string, path: string, body: unknown, what: string): Promise<Exchange> => {
    const res = await http.request({ method, path, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    await expectStatus(res, [200, 201, 204], what);
    await res.dump();
    return res.exchange;
  };

  /**
   * The tarball of `name@version` that the abbreviated packument lists,
   * checked against its `dist.integrity` (when served) and `dist.shasum`.
   * With `filename` (downloadFile), the listed tarball must be that file and
   * a 404 is a failure naming it; without (download), any other status than
   * 200 is a protocol error, as before.
   */
  const fetchTarball = async (name: string, version: string, filename?: string): Promise<Downloaded> => {
    const label = filename === undefined ? `${name}@${version}` : `${filename} of ${name}@${version}`;
    const got = await packument(name, true);
    if (!got) {
      throw new ConformanceFailure(`${name} is unknown to the registry (GET ${pkgPath(name)} -> 404)`, { expected: `the packument of ${name}`, actual: "404" });
    }
    const manifest = got.packument.versions[version];
    if (!manifest) {
      throw new ConformanceFailure(
        `${name}@${version} is missing from the packument${filename === undefined ? "" : `, so ${filename} is not listed`}`,
        { expected: `versions["${version}"]`, actual: `versions [${Object.keys(got.packument.versions).join(", ")}]` },
        [got.exchange],
      );
    }
    const tarball = manifest.dist?.tarball;
    if (typeof tarball !== "string" || !/^https?:\/\//.test(tarball)) {
      throw new ConformanceFailure(`${name}@${version}: dist.tarball is not an absolute URL`, { expected: filename === undefined ? "an http(s) URL" : `an http(s) URL of ${filename}`, actual: String(tarball) }, [got.exchange]);
    }
    if (filename !== undefined && tarballFile(name, tarball) !== filename) {
      throw new ConformanceFailure(
        `${label}: dist.tarball names another file (${tarballFile(name, tarball)})`,
        { expected: `dist.tarball of ${version} naming ${filename}`, actual: tarball },
        [got.exchange],
      );
    }
    // Credentials go only to the registry's own origin, as the npm CLI does.
    const res = await http.request({ method: "GET", path: tarball, noAuth: new URL(tarball).origin !== origin });
    if (filename !== undefined && (res.status === 404 || res.status === 410)) {
      await res.dump();
      throw new ConformanceFailure(
        `${label} is listed but not served (GET ${res.exchange.path} -> ${res.status})`,
        { expected: `${filename} served with status 200`, actual: `status ${res.status}` },
        [got.exchange, res.exchange],
      );
    }
    await expectStatus(res, [200], `downloading ${label}`);
    const { size, digests } = await res.digest();
    const integrity = sha512OfIntegrity(manifest.dist.integrity);
    if (manifest.dist.integrity !== undefined && integrity !== digests.sha512) {
      throw new ConformanceFailure(
        `dist.integrity of ${name}@${version} does not match the tarball bytes`,
        { expected: String(manifest.dist.integrity), actual: integrityOf(digests.sha512) },
        [got.exchange, res.exchange],
      );
    }
    if (manifest.dist.shasum !== digests.sha1) {
      throw new ConformanceFailure(
        `dist.shasum of ${name}@${version} does not match the tarball bytes`,
        { expected: String(manifest.dist.shasum), actual: digests.sha1 },
        [got.exchange, res.exchange],
      );
    }
    return { size, digests, exchange: res.exchange };
  };

  return {
    async publish(artifact) {
      const { document } = publishDocument(registry, artifact);
      const { body, length } = streamPublishBody(document, artifact.content);
      const res = await http.request({
        method: "PUT",
        path: pkgPath(artifact.name),
        headers: { "content-type": "application/json", "content-length": String(length), "npm-command": "publish" },
        body,
      });
      return outcome(res);
    },

    async publishDocument(name, document) {
      const res = await http.request({ method: "PUT", path: pkgPath(name), headers: { "content-type": "application/json" }, body: JSON.stringify(document) });
      return outcome(res);
    },

    packument,

    download: (name, version) => fetchTarball(name, version),

    async downloadFile(name, version, filename) {
      return fetchTarball(name, version, filename);
    },

    async files(name) {
      const got = await packument(name, true);
      if (!got) return [];
      return Object.entries(got.packument.versions).flatMap(([version, manifest]) => listedFile(name, version, manifest) ?? []);
    },

    async versions(name) {
      const got = await packument(name, true);
      return got ? Object.keys(got.packument.versions) : [];
    },

    async metadata(name) {
      const res = await http.request({ method: "GET", path: pkgPath(name), headers: { accept: "application/json" } });
      await res.text();
      return res.exchange;
    },

    async latest(name) {
      return (await packument(name, true))?.packument["dist-tags"]?.latest;
    },

    async search(text) {
      const res = await http.request({ method: "GET", path: `/-/v1/search?text=${encodeURIComponent(text)}&size=20` });
      await expectStatus(res, [200], `searching for ${text}`);
      const body = await res.json<{ objects?: { package?: { name?: string } }[] }>();
      if (!Array.isArray(body.objects)) throw new ProtocolError(`GET /-/v1/search -> 200: no objects array`, [res.exchange]);
      return body.objects.map((o) => o.package?.name).filter((n): n is string => typeof n === "string");
    },

    async remove(name, version) {
      const res = await http.request({ method: "GET", path: `${pkgPath(name)}?write=true`, headers: { accept: "application/json" } });
      if (res.status === 404) {
        await res.dump();
        return;
      }
      await expectStatus(res, [200], `reading ${name} to unpublish it`);
      const doc = await res.json<Packument>();
      const rev = doc._rev ?? "0";
      if (!version || Object.keys(doc.versions).length <= 1) {
        await write("DELETE", `${pkgPath(name)}/-rev/${encodeURIComponent(rev)}`, undefined, `unpublishing ${name}`);
        return;
      }
      const manifest = doc.versions[version];
      if (!manifest) return;
      const versions = { ...doc.versions };
      delete versions[version];
      const tags = Object.fromEntries(Object.entries(doc["dist-tags"] ?? {}).filter(([, v]) => v !== version));
      await write("PUT", `${pkgPath(name)}/-rev/${encodeURIComponent(rev)}`, { ...doc, versions, "dist-tags": tags }, `unpublishing ${name}@${version}`);
      const again = await packument(name);
      const file = manifest.dist.tarball.split("/-/").pop() ?? tarballName(name, version);
      await write("DELETE", `${pkgPath(name)}/-/${file}/-rev/${encodeURIComponent(again?.packument._rev ?? rev)}`, undefined, `deleting the tarball of ${name}@${version}`);
    },

    async distTags(name) {
      const res = await http.request({ method: "GET", path: `/-/package/${encodeName(name)}/dist-tags` });
      await expectStatus(res, [200], `reading the dist-tags of ${name}`);
      return res.json<Record<string, string>>();
    },

    setDistTag: (name, tag, version) => write("PUT", `/-/package/${encodeName(name)}/dist-tags/${encodeURIComponent(tag)}`, version, `setting dist-tag ${tag} of ${name}`),

    removeDistTag: (name, tag) => write("DELETE", `/-/package/${encodeName(name)}/dist-tags/${encodeURIComponent(tag)}`, undefined, `removing dist-tag ${tag} of ${name}`),
  };
}
