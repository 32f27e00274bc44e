import { randomBytes } from "node:crypto";
import {
  ConformanceFailure,
  ProtocolError,
  digestOf,
  expectStatus,
  type Artifact,
  type Digests,
  type Downloaded,
  type Exchange,
  type ListedFile,
  type PublishOutcome,
  type RegistryClient,
  type Session,
} from "@regkit/core";
import { nupkgFileName, nuspecIdentity, readNuspec } from "./package.js";
import type { NuGetProfile } from "./profiles.js";
import { compareNuGetVersions, normalizeNuGetVersion, parseNuGetVersion } from "./version.js";

/**
 * Resource URLs from the service index. A read-only feed (GitLab's group
 * feed: search and metadata only) has no publish or package base address;
 * what needs them fails with a ProtocolError naming the missing resource.
 */
export interface NuGetResources {
  readonly publish?: string | undefined;
  readonly packageBase?: string | undefined;
  readonly registrations?: string | undefined;
  readonly search?: string | undefined;
}

export interface RegistrationLeaf {
  readonly version: string;
  readonly id: string;
  readonly packageContent?: string | undefined;
  /** The catalog entry's `packageHash` (base64) and `packageHashAlgorithm`, where the registration carries them. */
  readonly packageHash?: string | undefined;
  readonly packageHashAlgorithm?: string | undefined;
}

/**
 * The file a registration leaf's `packageContent` points at, for
 * {@link RegistryClient.files}: the flat container name of the leaf's own
 * version when the link's file is `<id>.<v>.nupkg` with `v` that version (and
 * a version folder before it, if any, names it too) or when the link ends
 * with `<id>/<that version>`; else what the link ends
 * with (another version's package, a foreign URL), which then matches no
 * published file. Undefined without a packageContent.
 */
export function listedPackageFile(id: string, leaf: RegistrationLeaf): string | undefined {
  if (!leaf.packageContent) return undefined;
  let path: string;
  try {
    path = new URL(leaf.packageContent, "http://relative.invalid/").pathname;
  } catch {
    return leaf.packageContent;
  }
  const segments = path.split("/").filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  const file = segments.at(-1) ?? "";
  const prefix = `${id.toLowerCase()}.`;
  const lower = file.toLowerCase();
  const same = (v: string): boolean => parseNuGetVersion(v) !== undefined && compareNuGetVersions(v, leaf.version) === 0;
  if (lower.startsWith(prefix) && lower.endsWith(".nupkg") && same(file.slice(prefix.length, -".nupkg".length))) {
    const folder = segments.at(-2);
    if (folder === undefined || parseNuGetVersion(folder) === undefined || same(folder)) return nupkgFileName(id, leaf.version);
    return `${folder}/${file}`;
  }
  // Feeds that address packages as `.../<id>/<version>` (no file name in the link).
  const parent = segments.at(-2);
  if (parent !== undefined && parent.toLowerCase() === id.toLowerCase() && same(file)) return nupkgFileName(id, leaf.version);
  return file || leaf.packageContent;
}

const HASH_ALGORITHMS: Readonly<Record<string, keyof Digests>> = { sha512: "sha512", sha256: "sha256", sha1: "sha1", md5: "md5" };
const HASH_BYTES: Readonly<Record<keyof Digests, number>> = { sha512: 64, sha256: 32, sha1: 20, md5: 16 };

/** The digest a leaf's `packageHash` announces (NuGet's catalog: base64, SHA512 unless said otherwise), as lowercase hex. */
export function packageHashDigests(leaf: RegistrationLeaf): Partial<Digests> {
  if (!leaf.packageHash) return {};
  const algorithm = HASH_ALGORITHMS[(leaf.packageHashAlgorithm ?? "SHA512").toLowerCase().replace(/-/g, "")];
  if (!algorithm) return {};
  const bytes = Buffer.from(leaf.packageHash, "base64");
  // Not base64 of a digest that long: report it as written, which then differs from the upload's.
  return { [algorithm]: bytes.length === HASH_BYTES[algorithm] ? bytes.toString("hex") : leaf.packageHash };
}

export interface NuGetClient extends RegistryClient {
  resources(): Promise<NuGetResources>;
  /** The flat container's versions for an id, as written (undefined: 404). */
  flatVersions(id: string): Promise<{ versions: readonly string[]; exchange: Exchange } | undefined>;
  /** Every leaf of the registration index (pages fetched when not inline). */
  registration(id: string): Promise<readonly RegistrationLeaf[] | undefined>;
  searchPage(q: string, options: { skip?: number; take?: number; prerelease?: boolean }): Promise<{ ids: readonly string[]; versions: Readonly<Record<string, string>>; totalHits: number; exchange: Exchange }>;
  downloadAs(id: string, version: string): Promise<Downloaded>;
  /**
   * Every version's package as the registration index lists it (one request
   * where the pages are inline): the file its packageContent points at
   * ({@link listedPackageFile}) and the packageHash where the registration
   * carries one. Empty when the package is unknown.
   */
  files(id: string): Promise<readonly ListedFile[]>;
  /**
   * A named file of a version from the flat container
   * (`<base>/<lower id>/<lower version>/<file>`): the .nupkg (which must be a
   * zip whose nuspec names that id and version; where the feed also serves
   * the .nuspec, that one must name them too), the .nuspec, or another file
   * the feed keeps (a .snupkg). A ConformanceFailure on 404.
   */
  downloadFile(id: string, version: string, filename: string): Promise<Downloaded>;
  /** GET of any URL the feed gave (packageContent links), with the bytes' digests. */
  fetchDigests(url: string): Promise<Downloaded>;
  /** The .nuspec from the flat container (`<base>/<id>/<version>/<id>.nuspec`); undefined on 404. */
  nuspec(id: string, version: string): Promise<{ text: string; exchange: Exchange } | undefined>;
  /** Relists an unlisted version (`POST <PackagePublish>/<id>/<version>`), where the feed supports it (GitLab has no such route: nuget.noRelist). */
  relist(id: string, version: string): Promise<Exchange>;
}

interface ServiceIndex {
  version?: string;
  resources?: { "@id"?: string; "@type"?: string | string[] }[];
}

function pick(index: ServiceIndex, prefix: string): string | undefined {
  for (const r of index.resources ?? []) {
    const types = Array.isArray(r["@type"]) ? r["@type"] : [r["@type"]];
    if (types.some((t) => t === prefix || t?.startsWith(`${prefix}/`)) && r["@id"]) return r["@id"].replace(/\/+$/, "");
  }
  return undefined;
}

/** Connects the NuGet v3 adapter; the target URL is the feed, its service index `<feed>/index.json`. */
export function connectNuGet({ http }: Session<NuGetProfile>): NuGetClient {
  let cached: Promise<NuGetResources> | undefined;
  const resources = (): Promise<NuGetResources> =>
    (cached ??= (async () => {
      const res = await http.request({ method: "GET", path: "/index.json" });
      await expectStatus(res, [200], "reading the service index");
      const index = await res.json<ServiceIndex>();
      const found = { publish: pick(index, "PackagePublish"), packageBase: pick(index, "PackageBaseAddress"), registrations: pick(index, "RegistrationsBaseUrl"), search: pick(index, "SearchQueryService") };
      if (!Object.values(found).some(Boolean)) {
        cached = undefined;
        throw new ProtocolError("the service index lists no resource the kit knows", [res.exchange], { expected: "PackagePublish, PackageBaseAddress, RegistrationsBaseUrl or SearchQueryService", actual: JSON.stringify(index.resources?.map((r) => r["@type"])) });
      }
      indexExchange = res.exchange;
      return found;
    })());
  let indexExchange: Exchange | undefined;
  /** A resource the feed must have for this call. */
  const need = async (key: "publish" | "packageBase"): Promise<string> => {
    const url = (await resources())[key];
    if (url) return url;
    const type = key === "publish" ? "PackagePublish/2.0.0" : "PackageBaseAddress/3.0.0";
    throw new ProtocolError(`the service index lacks ${type} (a read-only feed, such as GitLab's group feed?)`, indexExchange ? [indexExchange] : []);
  };

  const flatVersions: NuGetClient["flatVersions"] = async (id) => {
    const packageBase = await need("packageBase");
    const res = await http.request({ method: "GET", path: `${packageBase}/${id.toLowerCase()}/index.json` });
    if (res.status === 404) {
      await res.dump();
      return undefined;
    }
    await expectStatus(res, [200], `reading the versions of ${id}`);
    const doc = await res.json<{ versions?: string[] }>();
    if (!Array.isArray(doc.versions)) throw new ProtocolError(`GET ${res.exchange.path} -> 200: no versions array`, [res.exchange]);
    return { versions: doc.versions, exchange: res.exchange };
  };

  /** `<base>/<lower id>/<lower normalized version>/`: the flat container folder of a version. */
  const folder = async (id: string, version: string): Promise<string> =>
    `${await need("packageBase")}/${id.toLowerCase()}/${(normalizeNuGetVersion(version) ?? version).toLowerCase()}`;

  /** Whether a nuspec document names `id` (any case) and `version` (any spelling). */
  const names = (nuspec: string | undefined, id: string, version: string): { ok: boolean; actual: string } => {
    const identity = nuspec ? nuspecIdentity(nuspec) : undefined;
    return {
      ok: !!identity && identity.id.toLowerCase() === id.toLowerCase() && compareNuGetVersions(identity.version, version) === 0,
      actual: identity ? `${identity.id} ${identity.version}` : "no readable nuspec (corrupted package?)",
    };
  };

  /** GET of one file of the flat container folder of `id` `version`; a ConformanceFailure on 404. */
  const flatFile = async (id: string, version: string, filename: string) => {
    const res = await http.request({ method: "GET", path: `${await folder(id, version)}/${filename}` });
    if (res.status === 404) {
      await res.dump();
      throw new ConformanceFailure(`${filename} of ${id} ${version} cannot be downloaded from the flat container`, { expected: `200 with ${filename}`, actual: "404" }, [res.exchange]);
    }
    await expectStatus(res, [200], `downloading ${filename} of ${id} ${version}`);
    return res;
  };

  /** The .nupkg of `id` `version` under `filename`, checked to be a zip whose nuspec names them. */
  const fetchNupkg = async (id: string, version: string, filename: string): Promise<Downloaded> => {
    const res = await flatFile(id, version, filename);
    const small = Number(res.headers["content-length"] ?? 0) <= 64 * 1024 * 1024;
    if (!small) {
      const { size, digests } = await res.digest();
      return { size, digests, exchange: res.exchange };
    }
    const bytes = await res.bytes();
    const nuspec = readNuspec(bytes);
    const named = names(nuspec, id, version);
    if (!named.ok) {
      throw new ConformanceFailure(`the .nupkg served for ${id} ${version} is not that package`, { expected: `a zip whose nuspec says ${id} ${version}`, actual: named.actual }, [res.exchange]);
    }
    const { size, digests } = await digestOf(bytes);
    return { size, digests, exchange: res.exchange, bytes };
  };

  const downloadAs: NuGetClient["downloadAs"] = async (id, version) => {
    return fetchNupkg(id, version, nupkgFileName(id, version));
  };

  const downloadFile: NuGetClient["downloadFile"] = async (id, version, filename) => {
    if (filename.toLowerCase().endsWith(".nupkg")) {
      const downloaded = await fetchNupkg(id, version, filename);
      // The .nuspec next to it, where the feed serves one (GitLab does not: nuget.flat-nuspec, which nuget.registration reports).
      const res = await http.request({ method: "GET", path: `${await folder(id, version)}/${id.toLowerCase()}.nuspec` });
      if (res.status !== 200) {
        await res.dump();
        return downloaded;
      }
      const named = names(await res.text(), id, version);
      if (!named.ok) {
        throw new ConformanceFailure(`the .nuspec served next to ${filename} names another package`, { expected: `a nuspec that says ${id} ${version}`, actual: named.actual }, [downloaded.exchange, res.exchange]);
      }
      return downloaded;
    }
    const res = await flatFile(id, version, filename);
    if (!filename.toLowerCase().endsWith(".nuspec")) {
      const { size, digests } = await res.digest();
      return { size, digests, exchange: res.exchange };
    }
    const bytes = await res.bytes();
    const named = names(Buffer.from(bytes).toString("utf8"), id, version);
    if (!named.ok) throw new ConformanceFailure(`the .nuspec served for ${id} ${version} is not that package's`, { expected: `a nuspec that says ${id} ${version}`, actual: named.actual }, [res.exchange]);
    const { size, digests } = await digestOf(bytes);
    return { size, digests, exchange: res.exchange, bytes };
  };

  const registration: NuGetClient["registration"] = async (id) => {
    const { registrations } = await resources();
    if (!registrations) return undefined;
    const res = await http.request({ method: "GET", path: `${registrations}/${id.toLowerCase()}/index.json` });
    if (res.status === 404) {
      await res.dump();
      return undefined;
    }
    await expectStatus(res, [200], `reading the registration of ${id}`);
    type Page = { "@id"?: string; items?: { catalogEntry?: { id?: string; version?: string; packageHash?: unknown; packageHashAlgorithm?: unknown }; packageContent?: string }[] };
    const index = await res.json<{ items?: Page[] }>();
    const leaves: RegistrationLeaf[] = [];
    for (const page of index.items ?? []) {
      let items = page.items;
      if (!items && page["@id"]) {
        const pageRes = await http.request({ method: "GET", path: page["@id"] });
        await expectStatus(pageRes, [200], `reading a registration page of ${id}`);
        items = (await pageRes.json<Page>()).items;
      }
      for (const item of items ?? []) {
        const entry = item.catalogEntry;
        if (!entry?.version) continue;
        const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);
        leaves.push({ version: entry.version, id: entry.id ?? id, packageContent: item.packageContent, packageHash: text(entry.packageHash), packageHashAlgorithm: text(entry.packageHashAlgorithm) });
      }
    }
    return leaves;
  };

  const searchPage: NuGetClient["searchPage"] = async (q, { skip = 0, take = 20, prerelease = true }) => {
    const { search } = await resources();
    if (!search) throw new ProtocolError("the service index has no SearchQueryService");
    const res = await http.request({ method: "GET", path: `${search}?q=${encodeURIComponent(q)}&skip=${skip}&take=${take}&prerelease=${prerelease}&semVerLevel=2.0.0` });
    await expectStatus(res, [200], `searching for ${q}`);
    const doc = await res.json<{ totalHits?: number; data?: { id?: string; version?: string }[] }>();
    const data = doc.data ?? [];
    return { ids: data.map((d) => d.id ?? ""), versions: Object.fromEntries(data.map((d) => [d.id ?? "", d.version ?? ""])), totalHits: doc.totalHits ?? data.length, exchange: res.exchange };
  };

  return {
    resources,
    flatVersions,

    async fetchDigests(url) {
      const res = await http.request({ method: "GET", path: url });
      await expectStatus(res, [200], `downloading ${url}`);
      const { size, digests } = await res.digest();
      return { size, digests, exchange: res.exchange };
    },

    async nuspec(id, version) {
      const packageBase = await need("packageBase");
      const lowerId = id.toLowerCase();
      const lowerVersion = (normalizeNuGetVersion(version) ?? version).toLowerCase();
      const res = await http.request({ method: "GET", path: `${packageBase}/${lowerId}/${lowerVersion}/${lowerId}.nuspec` });
      if (res.status === 404) {
        await res.dump();
        return undefined;
      }
      await expectStatus(res, [200], `reading the nuspec of ${id} ${version}`);
      return { text: await res.text(), exchange: res.exchange };
    },

    async relist(id, version) {
      const publish = await need("publish");
      const res = await http.request({ method: "POST", path: `${publish}/${encodeURIComponent(id)}/${encodeURIComponent(version)}` });
      await res.dump();
      return res.exchange;
    },
    registration,
    searchPage,
    downloadAs,
    downloadFile,

    async files(id) {
      const leaves = await registration(id);
      if (!leaves) {
        if (!(await resources()).registrations) throw new ProtocolError("the service index lacks RegistrationsBaseUrl: no listing of the packages' files", indexExchange ? [indexExchange] : []);
        return [];
      }
      const listed: ListedFile[] = [];
      for (const leaf of leaves) {
        const filename = listedPackageFile(id, leaf);
        // A leaf without packageContent lists no file for its version.
        if (filename !== undefined) listed.push({ version: leaf.version, filename, digests: packageHashDigests(leaf) });
      }
      return listed;
    },

    async publish(artifact: Artifact): Promise<PublishOutcome> {
      let publish: string;
      try {
        publish = await need("publish");
      } catch (error) {
        // A registry that refuses the credential already at the service index refuses the push.
        const refused = error instanceof ProtocolError ? error.exchanges.at(-1) : undefined;
        if (refused && (refused.status === 401 || refused.status === 403)) return { accepted: false, status: refused.status, exchange: refused };
        throw error;
      }
      const boundary = `----regkit${randomBytes(12).toString("hex")}`;
      const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="package"; filename="package.nupkg"\r\nContent-Type: application/octet-stream\r\n\r\n`);
      const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
      async function* body(): AsyncIterable<Uint8Array> {
        yield head;
        yield* artifact.content.stream();
        yield tail;
      }
      const res = await http.request({
        method: "PUT",
        path: publish,
        headers: { "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": String(head.byteLength + artifact.content.size + tail.byteLength) },
        body: body(),
      });
      await res.dump();
      return { accepted: res.status >= 200 && res.status < 300, status: res.status, exchange: res.exchange };
    },

    download: downloadAs,

    async versions(id) {
      return (await flatVersions(id))?.versions ?? [];
    },

    async metadata(id) {
      const packageBase = await need("packageBase");
      const res = await http.request({ method: "GET", path: `${packageBase}/${id.toLowerCase()}/index.json` });
      await res.text();
      return res.exchange;
    },

    async search(text) {
      return (await searchPage(text, { take: 20 })).ids;
    },

    async remove(id, version) {
      const publish = await need("publish");
      const versions = version ? [version] : ((await flatVersions(id))?.versions ?? []);
      for (const v of versions) {
        const res = await http.request({ method: "DELETE", path: `${publish}/${encodeURIComponent(id)}/${encodeURIComponent(v)}` });
        await res.dump();
        if (res.status >= 500) throw new ProtocolError(`deleting ${id} ${v}: ${res.status}`, [res.exchange]);
      }
    },
  };
}

