import { randomBytes } from "node:crypto";
import {
  ConformanceFailure,
  ProtocolError,
  digestOf,
  expectStatus,
  type Artifact,
  type Downloaded,
  type Exchange,
  type PublishOutcome,
  type RegistryClient,
  type Session,
} from "@regkit/core";
import { nuspecIdentity, readNuspec } from "./nupkg.js";
import { compareNuGetVersions, normalizeNuGetVersion } from "./version.js";

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
}

export interface NuGetClient extends RegistryClient {
  resources(): Promise<NuGetResources>;
  /** The flat container's versions for an id, as written (undefined: 404). */
  flatVersions(id: string): Promise<{ versions: readonly string[]; exchange: Exchange } | undefined>;
  /** Every leaf of the registration index (pages fetched when not inline). */
  registration(id: string): Promise<readonly RegistrationLeaf[] | undefined>;
  searchPage(q: string, options: { skip?: number; take?: number; prerelease?: boolean }): Promise<{ ids: readonly string[]; versions: Readonly<Record<string, string>>; totalHits: number; exchange: Exchange }>;
  downloadAs(id: string, version: string): Promise<Downloaded>;
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
export function connectNuGet({ http, target }: Session): NuGetClient {
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

  const downloadAs: NuGetClient["downloadAs"] = async (id, version) => {
    const packageBase = await need("packageBase");
    const lowerId = id.toLowerCase();
    const lowerVersion = (normalizeNuGetVersion(version) ?? version).toLowerCase();
    const res = await http.request({ method: "GET", path: `${packageBase}/${lowerId}/${lowerVersion}/${lowerId}.${lowerVersion}.nupkg` });
    if (res.status === 404) {
      await res.dump();
      throw new ConformanceFailure(`${id} ${version} cannot be downloaded from the flat container`, { expected: "200 with the .nupkg", actual: "404" }, [res.exchange]);
    }
    await expectStatus(res, [200], `downloading ${id} ${version}`);
    const small = Number(res.headers["content-length"] ?? 0) <= 64 * 1024 * 1024;
    if (!small) {
      const { size, digests } = await res.digest();
      return { size, digests, exchange: res.exchange };
    }
    const bytes = await res.bytes();
    const nuspec = readNuspec(bytes);
    const identity = nuspec ? nuspecIdentity(nuspec) : undefined;
    if (!identity || identity.id.toLowerCase() !== lowerId || compareNuGetVersions(identity.version, version) !== 0) {
      throw new ConformanceFailure(
        `the .nupkg served for ${id} ${version} is not that package`,
        { expected: `a zip whose nuspec says ${id} ${version}`, actual: identity ? `${identity.id} ${identity.version}` : "no readable nuspec (corrupted package?)" },
        [res.exchange],
      );
    }
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
    type Page = { "@id"?: string; items?: { catalogEntry?: { id?: string; version?: string }; packageContent?: string }[] };
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
        if (item.catalogEntry?.version) leaves.push({ version: item.catalogEntry.version, id: item.catalogEntry.id ?? id, packageContent: item.packageContent });
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

