/**
 * The Helm protocol adapter: a chart repository (`<channel>/index.yaml`, the
 * chart archives its entries point at) and the ChartMuseum upload API
 * (`POST api/<channel>/charts`, multipart field `chart`), as GitLab serves
 * them under `/api/v4/projects/:id/packages/helm`. Every request goes
 * through the session's recording HTTP client.
 *
 * Downloads follow the URL the index gives (relative to the channel) and
 * must have the SHA-256 the index announces as `digest`. A publish that was
 * accepted waits (bounded by the `processingWaitMs` setting) until the
 * channel's index lists the chart with its digest: GitLab reads uploads in a
 * background job, and a client that pulls at once would not find it.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDocument } from "yaml";
import {
  type Artifact,
  type Content,
  ConformanceFailure,
  type Downloaded,
  type Exchange,
  type HttpClient,
  type HttpResponse,
  type ListedFile,
  ProtocolError,
  type PublishOutcome,
  type RegistryClient,
  type ResolvedTarget,
  ScenarioSkip,
  type Session,
  collect,
  describeExchange,
  runTool,
} from "@regkit/core";
import { type IndexEntry, type IndexFile, fileNameOf, parseIndex } from "./index-file.js";
import { type HelmProfile, UPLOAD_API, channelOf, processingWaitOf } from "./profiles.js";
import { compareHelmVersions } from "./version.js";

/** An index as one request answered it. */
export interface FetchedIndex {
  readonly index: IndexFile;
  readonly exchange: Exchange;
  /** The absolute URL the index was read from (chart URLs are relative to it). */
  readonly url: string;
}

const POLL_MS = 200;

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** 5xx and no answer are protocol errors; the rest is for the caller. */
function ensureUsable(res: HttpResponse, what: string): void {
  if (res.status === 0 || res.status >= 500) throw new ProtocolError(`${what}: ${describeExchange(res.exchange)}`, [res.exchange]);
}

/** Reads an answer's body: refusals keep a snippet of it as evidence. */
async function drain(res: HttpResponse): Promise<void> {
  if (isSuccess(res.status)) await res.dump();
  else await res.text().catch(() => undefined);
}

/** A multipart/form-data body with the chart in `field`, streamed, with its exact length. */
export function chartForm(filename: string, content: Content, field = "chart"): { readonly body: AsyncIterable<Uint8Array>; readonly length: number; readonly contentType: string } {
  const boundary = `----regkit${randomBytes(12).toString("hex")}`;
  // The file's own name, as helm cm-push sends it: no directory, no quote.
  const base = filename.slice(filename.lastIndexOf("/") + 1).replace(/["\r\n\\]/g, "_") || "chart.tgz";
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${base}"\r\nContent-Type: application/gzip\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* body(): AsyncIterable<Uint8Array> {
    yield head;
    if (content.bytes) yield content.bytes;
    else yield* content.stream();
    yield tail;
  }
  return { body: body(), length: head.length + content.size + tail.length, contentType: `multipart/form-data; boundary=${boundary}` };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One index rewrite at a time per static repository: each is a read, a `helm repo index --merge` and a write. */
const staticLocks = new Map<string, Promise<unknown>>();
function serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
  const before = staticLocks.get(key) ?? Promise.resolve();
  const run = before.then(work, work);
  const settled = run.catch(() => undefined);
  staticLocks.set(key, settled);
  void settled.then(() => {
    if (staticLocks.get(key) === settled) staticLocks.delete(key);
  });
  return run;
}

/** index.yaml text without `name`'s `version` (or all of `name`'s versions): the merge base a re-publish or a removal starts from. */
export function withoutEntry(indexYaml: string, name: string, version?: string): string {
  const doc = parseDocument(indexYaml);
  const list = doc.getIn(["entries", name]);
  if (list === undefined) return indexYaml;
  if (version === undefined) {
    doc.deleteIn(["entries", name]);
  } else {
    const json = doc.toJS() as { entries?: Record<string, { version?: unknown }[]> };
    const versions = json.entries?.[name] ?? [];
    const kept = versions.filter((v) => String(v.version) !== version);
    if (kept.length === 0) doc.deleteIn(["entries", name]);
    else doc.setIn(["entries", name], doc.createNode(kept));
  }
  return doc.toString();
}

export class HelmClient implements RegistryClient {
  readonly #http: HttpClient;
  readonly #target: ResolvedTarget<HelmProfile>;
  readonly #secrets: readonly string[];

  constructor(session: Pick<Session<HelmProfile>, "http" | "target"> & { readonly secrets?: readonly string[] | undefined }) {
    this.#http = session.http;
    this.#target = session.target;
    this.#secrets = session.secrets ?? [];
  }

  /** Whether the registry takes uploads (ChartMuseum's API) rather than being a static repository written by `helm repo index`. */
  get #uploads(): boolean {
    return this.#target.capabilities[UPLOAD_API];
  }

  /** The channel this adapter reads and publishes to. */
  get channel(): string {
    return channelOf(this.#target.settings);
  }

  /** The chart repository URL Helm is given (`helm repo add NAME <this>`). */
  get repositoryUrl(): string {
    return `${this.#target.registry.replace(/\/+$/, "")}/${encodeURIComponent(this.channel)}`;
  }

  /** `GET <channel>/index.yaml`, parsed; a ProtocolError when it is not a usable index. */
  async index(): Promise<FetchedIndex> {
    const { text, exchange } = await this.#indexText();
    return { index: this.#parse(text, exchange), exchange, url: exchange.url };
  }

  /** `GET <channel>/index.yaml` as text; a ConformanceFailure when it is not served, a ProtocolError when the answer is unusable. */
  async #indexText(): Promise<{ readonly text: string; readonly exchange: Exchange }> {
    const res = await this.#http.request({ method: "GET", path: `/${encodeURIComponent(this.channel)}/index.yaml` });
    if (!isSuccess(res.status)) {
      await drain(res);
      ensureUsable(res, "reading the channel's index.yaml");
      throw new ConformanceFailure(`the channel's index.yaml is not served: ${describeExchange(res.exchange)}`, { expected: "200 with index.yaml", actual: `status ${res.status}` }, [res.exchange]);
    }
    return { text: await res.text(), exchange: res.exchange };
  }

  /** An index.yaml's text read; a ConformanceFailure naming the exchange when it is not a chart index. */
  #parse(text: string, exchange: Exchange): IndexFile {
    try {
      return parseIndex(text);
    } catch (error) {
      throw new ConformanceFailure(`the channel's index.yaml is not a chart index: ${(error as Error).message}`, { expected: "a Helm index (apiVersion, entries)", actual: text.slice(0, 200) || "an empty body" }, [exchange]);
    }
  }

  /** The versions of `name` in the index, in the order the index lists them. */
  async entries(name: string): Promise<{ readonly entries: readonly IndexEntry[]; readonly fetched: FetchedIndex }> {
    const fetched = await this.index();
    return { entries: fetched.index.entries.get(name) ?? [], fetched };
  }

  async publish(artifact: Artifact): Promise<PublishOutcome> {
    if (!this.#uploads) return this.#publishStatic(artifact);
    const outcome = await this.upload(artifact.filename, artifact.content);
    if (outcome.accepted) await this.awaitListed(artifact.name, artifact.version, artifact.content.digests.sha256);
    return outcome;
  }

  /** `POST api/<channel>/charts` with the bytes in the multipart field `chart`; a refusal is an outcome, never an exception. */
  async upload(filename: string, content: Content): Promise<PublishOutcome> {
    const form = chartForm(filename, content);
    const res = await this.#http.request({
      method: "POST",
      path: `/api/${encodeURIComponent(this.channel)}/charts`,
      headers: { "content-type": form.contentType, "content-length": String(form.length) },
      body: form.body,
    });
    await drain(res);
    if (!isSuccess(res.status)) ensureUsable(res, `uploading ${filename}`);
    return { accepted: isSuccess(res.status), status: res.status, exchange: res.exchange };
  }

  /**
   * Waits until the index lists `name@version` with `sha256` (a registry that
   * reads charts in the background lists it late), at most the
   * `processingWaitMs` setting; true when it is listed. An index that cannot
   * be read ends the wait (the checks that read it next say why).
   */
  async awaitListed(name: string, version: string, sha256: string): Promise<boolean> {
    const deadline = Date.now() + processingWaitOf(this.#target.settings);
    for (;;) {
      let entries: readonly IndexEntry[];
      try {
        const { text, exchange } = await this.#indexText();
        // The archive's digest names this upload alone (the archive holds its
        // name and version), so once the index text holds it the chart has been
        // read: the wait is over without parsing the whole index, which after a
        // few hundred uploads costs more than the upload. Whether the entry is
        // right is for the checks that read the index next, not for this wait.
        if (text.includes(sha256)) return true;
        entries = this.#parse(text, exchange).entries.get(name) ?? [];
      } catch (error) {
        if (error instanceof ConformanceFailure) return false;
        throw error;
      }
      const entry = entries.find((e) => e.version === version);
      if (entry && entry.digest === undefined) return true;
      if (Date.now() + POLL_MS > deadline) return false;
      await sleep(POLL_MS);
    }
  }

  /**
   * A static chart repository: PUT the archive under `charts/`, then the
   * channel's index rewritten by the real `helm repo index --merge` (the
   * published index, less an older entry of the same version, as the merge
   * base) and PUT back. What a pipeline publishing to a static repository
   * does; one rewrite at a time per repository.
   */
  async #publishStatic(artifact: Artifact): Promise<PublishOutcome> {
    return serialized(this.repositoryUrl, async () => {
      const channel = encodeURIComponent(this.channel);
      const put = await this.#http.request({
        method: "PUT",
        path: `/${channel}/charts/${encodeURIComponent(artifact.filename)}`,
        headers: { "content-type": "application/gzip", "content-length": String(artifact.content.size) },
        body: artifact.content.bytes ?? artifact.content.stream(),
      });
      await drain(put);
      if (!isSuccess(put.status)) {
        ensureUsable(put, `uploading ${artifact.filename}`);
        return { accepted: false, status: put.status, exchange: put.exchange };
      }
      const dir = await mkdtemp(join(tmpdir(), "regkit-helm-index-"));
      try {
        const current = await this.#currentIndex();
        await mkdir(join(dir, "repo", "charts"), { recursive: true });
        await writeFile(join(dir, "repo", "charts", artifact.filename), artifact.content.bytes ?? (await collect(artifact.content.stream())));
        const args = ["repo", "index", join(dir, "repo")];
        if (current !== undefined) {
          await writeFile(join(dir, "base.yaml"), withoutEntry(current, artifact.name, artifact.version));
          args.push("--merge", join(dir, "base.yaml"));
        }
        const home = join(dir, "home");
        const result = await runTool({ command: "helm", args, env: { HELM_CACHE_HOME: home, HELM_CONFIG_HOME: home, HELM_DATA_HOME: home }, timeoutMs: 60_000, secrets: this.#secrets });
        if (result.code === 127) throw new ScenarioSkip("the static profile writes index.yaml with `helm repo index`: helm not found on PATH (packages/helm/ci/install-tools.sh)");
        if (result.code !== 0) throw new ProtocolError(`helm repo index failed (exit ${result.code}): ${result.output.slice(-300)}`, [put.exchange]);
        const index = await this.#putIndex(await readFile(join(dir, "repo", "index.yaml")));
        if (!isSuccess(index.status)) return { accepted: false, status: index.status, exchange: index.exchange };
        return { accepted: true, status: put.status, exchange: put.exchange };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  /** The channel's index.yaml text as served; undefined when the repository has none yet (404). */
  async #currentIndex(): Promise<string | undefined> {
    const res = await this.#http.request({ method: "GET", path: `/${encodeURIComponent(this.channel)}/index.yaml` });
    if (res.status === 404) {
      await drain(res);
      return undefined;
    }
    if (!isSuccess(res.status)) {
      await drain(res);
      ensureUsable(res, "reading the channel's index.yaml");
      throw new ConformanceFailure(`the channel's index.yaml is not served: ${describeExchange(res.exchange)}`, { expected: "200 with index.yaml", actual: `status ${res.status}` }, [res.exchange]);
    }
    return res.text();
  }

  async #putIndex(bytes: Uint8Array): Promise<{ readonly status: number; readonly exchange: Exchange }> {
    const res = await this.#http.request({
      method: "PUT",
      path: `/${encodeURIComponent(this.channel)}/index.yaml`,
      headers: { "content-type": "text/yaml", "content-length": String(bytes.byteLength) },
      body: bytes,
    });
    await drain(res);
    if (!isSuccess(res.status)) ensureUsable(res, "writing the channel's index.yaml");
    return { status: res.status, exchange: res.exchange };
  }

  /**
   * Cleanup on a static repository: the version's archive (or every
   * version's) DELETEd, and the index written back without them. A registry
   * with an upload API has no delete in the protocol (GitLab: the Packages API).
   */
  async remove(name: string, version?: string): Promise<void> {
    if (this.#uploads) throw new ScenarioSkip("the ChartMuseum API as GitLab serves it has no delete (cleanup goes through GitLab's Packages API)");
    await serialized(this.repositoryUrl, async () => {
      const current = await this.#currentIndex();
      if (current === undefined) return;
      const entries = parseIndex(current).entries.get(name) ?? [];
      for (const entry of entries) {
        if (version !== undefined && entry.version !== version) continue;
        for (const url of entry.urls) {
          const res = await this.#http.request({ method: "DELETE", path: new URL(url, `${this.repositoryUrl}/index.yaml`).toString() });
          await drain(res);
          if (!isSuccess(res.status) && res.status !== 404) ensureUsable(res, `removing ${fileNameOf(url)}`);
        }
      }
      const written = await this.#putIndex(new TextEncoder().encode(withoutEntry(current, name, version)));
      if (!isSuccess(written.status)) throw new ProtocolError(`writing index.yaml back without ${name} was refused: ${describeExchange(written.exchange)}`, [written.exchange]);
    });
  }

  async versions(name: string): Promise<readonly string[]> {
    return (await this.entries(name)).entries.map((e) => e.version);
  }

  /** One request to the metadata endpoint push.many times: the channel's index. */
  async metadata(_name: string): Promise<Exchange> {
    const res = await this.#http.request({ method: "GET", path: `/${encodeURIComponent(this.channel)}/index.yaml` });
    await res.dump();
    return res.exchange;
  }

  /** The highest stable version the index lists (Helm's default for `helm pull` without --version). */
  async latest(name: string): Promise<string | undefined> {
    const versions = await this.versions(name);
    const stable = versions.filter((v) => !/^v?\d+\.\d+\.\d+-/.test(v));
    return [...(stable.length ? stable : versions)].sort(compareHelmVersions).at(-1);
  }

  /** Chart names whose name, description or keywords hold `text` (what `helm search repo` matches), from the index. */
  async search(text: string): Promise<readonly string[]> {
    const { index } = await this.index();
    const needle = text.toLowerCase();
    const names: string[] = [];
    for (const [name, versions] of index.entries) {
      const hit = versions.some((v) => name.toLowerCase().includes(needle) || (v.description ?? "").toLowerCase().includes(needle) || (v.keywords ?? []).some((k) => k.toLowerCase().includes(needle)));
      if (hit) names.push(name);
    }
    return names;
  }

  async files(name: string): Promise<readonly ListedFile[]> {
    const { entries } = await this.entries(name);
    return entries.map((e) => ({ version: e.version, filename: fileNameOf(e.urls[0] ?? ""), digests: e.digest ? { sha256: e.digest } : {} }));
  }

  async download(name: string, version: string): Promise<Downloaded> {
    return this.#fetch(name, version, undefined);
  }

  async downloadFile(name: string, version: string, filename: string): Promise<Downloaded> {
    return this.#fetch(name, version, filename);
  }

  /**
   * Finds `name@version` in the index and GETs its first URL (relative to the
   * index); the bytes must have the index's digest. Not listed, not served or
   * another file name: a ConformanceFailure naming the request.
   */
  async #fetch(name: string, version: string, filename: string | undefined): Promise<Downloaded> {
    const { entries, fetched } = await this.entries(name);
    const entry = entries.find((e) => e.version === version);
    if (!entry) {
      throw new ConformanceFailure(
        `${name}@${version} is not in the channel's index.yaml (${describeExchange(fetched.exchange)})`,
        { expected: `an entry ${name} ${version}`, actual: entries.length ? `versions [${entries.map((e) => e.version).join(", ")}]` : `no entry ${name}` },
        [fetched.exchange],
      );
    }
    const url = entry.urls[0];
    if (!url) throw new ConformanceFailure(`${name}@${version} has no urls in the index`, { expected: "urls with the chart's location", actual: "none" }, [fetched.exchange]);
    if (filename !== undefined && fileNameOf(url) !== filename) {
      throw new ConformanceFailure(`${name}@${version} is listed under another file name`, { expected: filename, actual: fileNameOf(url) }, [fetched.exchange]);
    }
    const absolute = new URL(url, fetched.url).toString();
    const res = await this.#http.request({ method: "GET", path: absolute });
    if (!isSuccess(res.status)) {
      await drain(res);
      ensureUsable(res, `downloading ${fileNameOf(url)}`);
      throw new ConformanceFailure(`${fileNameOf(url)} of ${name}@${version} is not served: ${describeExchange(res.exchange)}`, { expected: `200 with ${fileNameOf(url)}`, actual: `status ${res.status}` }, [fetched.exchange, res.exchange]);
    }
    const got = await res.digest();
    if (entry.digest !== undefined && entry.digest !== got.digests.sha256) {
      throw new ConformanceFailure(
        `${fileNameOf(url)} does not have the digest the index gives it (${describeExchange(res.exchange)})`,
        { expected: `sha256 ${entry.digest} (index.yaml)`, actual: `sha256 ${got.digests.sha256}` },
        [fetched.exchange, res.exchange],
      );
    }
    return { size: got.size, digests: got.digests, exchange: res.exchange };
  }
}

export function connectHelm(session: Session<HelmProfile>): HelmClient {
  return new HelmClient(session);
}
