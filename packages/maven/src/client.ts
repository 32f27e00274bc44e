/**
 * The Maven protocol adapter: deploys and resolves the way Maven does, over
 * nothing but GET and PUT on the repository layout.
 *
 * A deploy PUTs every file followed by its `.sha1`, `.md5`, `.sha256` and
 * `.sha512`, then (SNAPSHOTs) the version-level `maven-metadata.xml`, then
 * reads, merges and writes back the artifact-level one, each with its
 * checksums. Metadata is the client's job in Maven: a plain repository stores
 * what it is given, so the adapter serializes its own read-modify-writes of
 * one artifact's metadata (parallel deploys in one run would otherwise lose
 * versions, as parallel `mvn deploy` runs do).
 *
 * Reads follow redirects as Maven does (GitLab forwards a miss to Maven
 * Central with a 302 when package forwarding is on); credentials never
 * travel to another origin.
 *
 * @module
 */
import {
  type Artifact,
  type Content,
  ConformanceFailure,
  contentFromBytes,
  type Digests,
  type Downloaded,
  type Exchange,
  type HttpClient,
  type HttpResponse,
  ProtocolError,
  type PublishOutcome,
  type RegistryClient,
  type Session,
  describeExchange,
  joinUrl,
} from "@regkit/core";
import {
  CHECKSUM_ALGORITHMS,
  type ChecksumAlgorithm,
  type Coordinates,
  type FileKind,
  METADATA_FILE,
  artifactFileName,
  artifactSegments,
  fileKind,
  mavenTimestamps,
  parseCoordinates,
  repositoryPath,
  timestampedVersion,
} from "./layout.js";
import {
  type MavenMetadata,
  MetadataParseError,
  mergeArtifactMetadata,
  mergeSnapshotMetadata,
  parseMavenMetadata,
  renderMavenMetadata,
  resolveSnapshotFile,
} from "./metadata.js";
import { MD5_CHECKSUMS_DEVIATION, type MavenProfile } from "./profiles.js";
import { isSnapshotVersion } from "./version.js";

/** Checksum files the adapter requires next to a downloaded file; the others are checked when present. */
const REQUIRED_CHECKSUMS: readonly ChecksumAlgorithm[] = ["sha1"];
/**
 * What {@link MavenClient.downloadFile} requires: the two checksum files Maven's
 * layout has next to every file (`.md5` is skipped where its absence is a recorded deviation).
 */
const STRICT_CHECKSUMS: readonly ChecksumAlgorithm[] = ["sha1", "md5"];

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Maven's resolver gives up after a few hops too. */
const MAX_REDIRECTS = 5;

const locks = new Map<string, Promise<unknown>>();

/** Runs `task` after every earlier task of the same key (one artifact's metadata in one repository). */
async function serialized<T>(key: string, task: () => Promise<T>): Promise<T> {
  const previous = locks.get(key) ?? Promise.resolve();
  const run = previous.then(task, task);
  const settled = run.catch(() => undefined);
  locks.set(key, settled);
  try {
    return await run;
  } finally {
    if (locks.get(key) === settled) locks.delete(key);
  }
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function contentType(filename: string): string {
  if (/\.(sha1|md5|sha256|sha512)$/.test(filename)) return "text/plain";
  if (filename.endsWith(".pom") || filename.endsWith(".xml")) return "text/xml";
  if (filename.endsWith(".jar")) return "application/java-archive";
  return "application/octet-stream";
}

/** The hex digest a checksum file states: its first word (some tools append the file name). */
export function checksumValue(text: string): string {
  return (text.trim().split(/\s+/)[0] ?? "").toLowerCase();
}

/** A refused or broken answer: 5xx and unreachable are protocol errors, the rest is for the caller. */
function ensureUsable(res: HttpResponse, what: string): void {
  if (res.status === 0 || res.status >= 500) {
    throw new ProtocolError(`${what}: ${describeExchange(res.exchange)}`, [res.exchange]);
  }
}

export class MavenClient implements RegistryClient {
  readonly #http: HttpClient;
  /** The profile records that no `.md5` is served (GitLab in FIPS mode): downloads do not ask for one. */
  readonly #md5Absent: boolean;

  constructor(session: Pick<Session<MavenProfile>, "http"> & { readonly target?: Session<MavenProfile>["target"] | undefined }) {
    this.#http = session.http;
    this.#md5Absent = session.target?.profile.deviations?.[MD5_CHECKSUMS_DEVIATION] !== undefined;
  }

  /** GET that follows redirects; another origin gets no credentials. */
  async #get(path: string): Promise<HttpResponse> {
    let res = await this.#http.request({ method: "GET", path });
    let url = joinUrl(this.#http.baseUrl, path);
    const origin = new URL(this.#http.baseUrl).origin;
    for (let hop = 0; hop < MAX_REDIRECTS && REDIRECTS.has(res.status); hop++) {
      const location = res.headers.location;
      if (!location) break;
      await res.dump();
      url = new URL(location, url).toString();
      res = await this.#http.request({ method: "GET", path: url, noAuth: new URL(url).origin !== origin });
    }
    return res;
  }

  async publish(artifact: Artifact): Promise<PublishOutcome> {
    const coordinates = parseCoordinates(artifact.name);
    return serialized(`${this.#http.baseUrl}\u0000${artifact.name}`, () => this.#deploy(coordinates, artifact));
  }

  async #deploy(coordinates: Coordinates, artifact: Artifact): Promise<PublishOutcome> {
    const { version } = artifact;
    const versionDir = [...artifactSegments(coordinates), version];
    const prefix = `${coordinates.artifactId}-${version}`;
    const files = [{ filename: artifact.filename, content: artifact.content }, ...(artifact.extra ?? [])].map((file) => {
      const kind = fileKind(file.filename, prefix);
      if (!kind) throw new Error(`${file.filename} is not a file of ${artifact.name}:${version} (expected ${prefix}[-classifier].ext)`);
      return { ...file, kind };
    });
    const { timestamp, lastUpdated } = mavenTimestamps(new Date());

    let fileVersion = version;
    let snapshotMetadata: MavenMetadata | undefined;
    let buildNumber = 0;
    const snapshot = isSnapshotVersion(version);
    if (snapshot) {
      const current = await this.#readMetadata([...versionDir, METADATA_FILE]);
      if (current.kind === "refused") return current.outcome;
      snapshotMetadata = current.metadata;
      buildNumber = (snapshotMetadata?.versioning.snapshot?.buildNumber ?? 0) + 1;
      fileVersion = timestampedVersion(version, timestamp, buildNumber);
    }

    let first: PublishOutcome | undefined;
    for (const file of files) {
      const filename = artifactFileName(coordinates.artifactId, fileVersion, file.kind);
      const outcome = await this.#putWithChecksums([...versionDir, filename], file.content);
      if (!outcome.accepted) return outcome;
      first ??= outcome;
    }

    if (snapshot) {
      const merged = mergeSnapshotMetadata(snapshotMetadata, {
        ...coordinates,
        version,
        timestamp,
        buildNumber,
        lastUpdated,
        files: files.map((f) => ({ classifier: f.kind.classifier, extension: f.kind.extension, value: fileVersion })),
      });
      const outcome = await this.#putWithChecksums([...versionDir, METADATA_FILE], xmlContent(merged));
      if (!outcome.accepted) return outcome;
    }

    const artifactMetadataPath = [...artifactSegments(coordinates), METADATA_FILE];
    const current = await this.#readMetadata(artifactMetadataPath);
    if (current.kind === "refused") return current.outcome;
    const merged = mergeArtifactMetadata(current.metadata, { ...coordinates, version, lastUpdated });
    const outcome = await this.#putWithChecksums(artifactMetadataPath, xmlContent(merged));
    if (!outcome.accepted) return outcome;
    return first ?? outcome;
  }

  /** PUTs a file, then its checksum files; the first refusal ends it. */
  async #putWithChecksums(segments: readonly string[], content: Content): Promise<PublishOutcome> {
    const path = repositoryPath(segments);
    const filename = segments.at(-1) ?? "";
    const res = await this.#http.request({
      method: "PUT",
      path,
      headers: { "content-type": contentType(filename), "content-length": String(content.size) },
      body: content.bytes ?? content.stream(),
    });
    await drain(res);
    ensureUsable(res, `deploying ${filename}`);
    if (!isSuccess(res.status)) return { accepted: false, status: res.status, exchange: res.exchange };
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      const body = content.digests[algorithm];
      const sum = await this.#http.request({
        method: "PUT",
        path: `${path}.${algorithm}`,
        headers: { "content-type": "text/plain", "content-length": String(Buffer.byteLength(body)) },
        body,
      });
      await drain(sum);
      ensureUsable(sum, `deploying ${filename}.${algorithm}`);
      if (!isSuccess(sum.status)) return { accepted: false, status: sum.status, exchange: sum.exchange };
    }
    return { accepted: true, status: res.status, exchange: res.exchange };
  }

  /** GETs and parses metadata; absent is `undefined`, a refusal ends the deploy. */
  async #readMetadata(
    segments: readonly string[],
  ): Promise<
    | { readonly kind: "read"; readonly metadata: MavenMetadata | undefined; readonly exchange: Exchange }
    | { readonly kind: "refused"; readonly outcome: PublishOutcome }
  > {
    const res = await this.#get(repositoryPath(segments));
    if (res.status === 404) {
      await res.dump();
      return { kind: "read", metadata: undefined, exchange: res.exchange };
    }
    if (!isSuccess(res.status)) {
      await drain(res);
      ensureUsable(res, `reading ${segments.at(-1)}`);
      return { kind: "refused", outcome: { accepted: false, status: res.status, exchange: res.exchange } };
    }
    return { kind: "read", metadata: await parseResponse(res), exchange: res.exchange };
  }

  async download(name: string, version: string): Promise<Downloaded> {
    const coordinates = parseCoordinates(name);
    const versionDir = [...artifactSegments(coordinates), version];
    const exchanges: Exchange[] = [];
    const kind = { classifier: undefined, extension: "jar" } as const;
    const fileVersion = isSnapshotVersion(version) ? await this.#resolveSnapshot(name, version, kind, exchanges, false) : version;
    const filename = artifactFileName(coordinates.artifactId, fileVersion, kind);
    return this.downloadPath([...versionDir, filename], exchanges);
  }

  /**
   * One file of `name:version` by the name it was published with (the pom
   * `app-1.0.pom`, `app-1.0-sources.jar`, the jar itself; a SNAPSHOT's
   * `app-1.0-SNAPSHOT.pom` is resolved to its newest timestamped build through
   * the version-level `maven-metadata.xml`). Maven lists no files per version,
   * so this is how a version's every file is checked: it must be served, and
   * its `.sha1` and `.md5` (not `.md5` where the target records
   * {@link MD5_CHECKSUMS_DEVIATION}) must be served and match its bytes, as
   * must `.sha256`/`.sha512` where served. Anything else is a
   * ConformanceFailure naming the file.
   */
  async downloadFile(name: string, version: string, filename: string): Promise<Downloaded> {
    const coordinates = parseCoordinates(name);
    const versionDir = [...artifactSegments(coordinates), version];
    const exchanges: Exchange[] = [];
    let served = filename;
    if (isSnapshotVersion(version)) {
      const kind = fileKind(filename, `${coordinates.artifactId}-${version}`);
      if (!kind) throw new Error(`${filename} is not a file of ${name}:${version} (expected ${coordinates.artifactId}-${version}[-classifier].ext)`);
      served = artifactFileName(coordinates.artifactId, await this.#resolveSnapshot(name, version, kind, exchanges, true), kind);
    }
    return this.downloadPath([...versionDir, served], exchanges, { strict: true });
  }

  /**
   * The timestamped version of a SNAPSHOT's file of `kind`, from the
   * version-level metadata. `strict`: a metadata file that is not served is a
   * ConformanceFailure (else a ProtocolError, as for `download`).
   */
  async #resolveSnapshot(name: string, version: string, kind: FileKind, exchanges: Exchange[], strict: boolean): Promise<string> {
    const segments = [...artifactSegments(parseCoordinates(name)), version, METADATA_FILE];
    const res = await this.#get(repositoryPath(segments));
    exchanges.push(res.exchange);
    if (strict) await failUnlessServed(res, `the version-level ${METADATA_FILE} of ${name}:${version}`, exchanges.slice(0, -1));
    else await refuseUnless2xx(res, `resolving ${name}:${version}`);
    const metadata = await parseResponse(res);
    const resolved = resolveSnapshotFile(metadata, kind, version);
    if (!resolved) {
      const what = `${kind.classifier ? `${kind.classifier} ` : ""}${kind.extension}`;
      throw new ConformanceFailure(
        `the version-level ${METADATA_FILE} of ${name}:${version} names no ${what} build`,
        {
          expected: `<snapshotVersion> with ${kind.classifier ? `classifier ${kind.classifier} and ` : ""}extension ${kind.extension}${kind.classifier ? "" : ", or <snapshot> with timestamp and buildNumber"}`,
          actual: "none",
        },
        exchanges,
      );
    }
    return resolved;
  }

  /**
   * GETs one file by its path and checks it against each checksum file:
   * `.sha1` must be there, `.md5`, `.sha256` and `.sha512` are checked when
   * present (GitLab serves `.sha256`/`.sha512` only where they were uploaded).
   * `strict` (what {@link downloadFile} checks): a file that is not served is a
   * ConformanceFailure rather than a ProtocolError, and `.md5` must be served
   * too unless the target records {@link MD5_CHECKSUMS_DEVIATION}.
   */
  async downloadPath(
    segments: readonly string[],
    earlier: readonly Exchange[] = [],
    options: { readonly strict?: boolean } = {},
  ): Promise<Downloaded> {
    const filename = segments.at(-1) ?? "";
    const res = await this.#get(repositoryPath(segments));
    if (options.strict) await failUnlessServed(res, filename, earlier);
    else await refuseUnless2xx(res, `downloading ${filename}`, earlier);
    const { size, digests } = await res.digest();
    await this.verifyChecksums(segments, digests, [...earlier, res.exchange], options.strict ? STRICT_CHECKSUMS : REQUIRED_CHECKSUMS);
    return { size, digests, exchange: res.exchange };
  }

  /** Compares the registry's checksum files of a file with the digests of its bytes. */
  async verifyChecksums(
    segments: readonly string[],
    digests: Digests,
    earlier: readonly Exchange[] = [],
    required: readonly ChecksumAlgorithm[] = REQUIRED_CHECKSUMS,
  ): Promise<{ readonly checked: readonly ChecksumAlgorithm[] }> {
    const filename = segments.at(-1) ?? "";
    const checked: ChecksumAlgorithm[] = [];
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      if (algorithm === "md5" && this.#md5Absent) continue;
      const res = await this.#get(`${repositoryPath(segments)}.${algorithm}`);
      if (res.status === 404 && !required.includes(algorithm)) {
        await res.dump();
        continue;
      }
      if (!isSuccess(res.status)) {
        await drain(res);
        ensureUsable(res, `reading ${filename}.${algorithm}`);
        const hint = algorithm === "md5" ? ` (a registry that serves no MD5, as GitLab in FIPS mode: record deviation ${MD5_CHECKSUMS_DEVIATION})` : "";
        throw new ConformanceFailure(
          `${filename}.${algorithm} is not served: ${describeExchange(res.exchange)}`,
          { expected: `200 with the ${algorithm} of ${filename}${hint}`, actual: String(res.status) },
          [...earlier, res.exchange],
        );
      }
      const stated = checksumValue(await res.text());
      if (stated !== digests[algorithm]) {
        throw new ConformanceFailure(
          `${filename}.${algorithm} does not match ${filename} (${describeExchange(res.exchange)})`,
          { expected: `${algorithm} ${digests[algorithm]} (of the ${filename} bytes served)`, actual: `${algorithm} ${stated || "(empty)"}` },
          [...earlier, res.exchange],
        );
      }
      checked.push(algorithm);
    }
    return { checked };
  }

  /** The artifact-level `maven-metadata.xml`, or undefined when the registry has none (404). */
  async mavenMetadata(name: string): Promise<{ readonly metadata: MavenMetadata | undefined; readonly exchange: Exchange }> {
    const res = await this.#get(repositoryPath([...artifactSegments(parseCoordinates(name)), METADATA_FILE]));
    if (res.status === 404) {
      await res.dump();
      return { metadata: undefined, exchange: res.exchange };
    }
    await refuseUnless2xx(res, `reading the ${METADATA_FILE} of ${name}`);
    return { metadata: await parseResponse(res), exchange: res.exchange };
  }

  /** The version-level `maven-metadata.xml` of a SNAPSHOT, or undefined (404). */
  async snapshotMetadata(
    name: string,
    version: string,
  ): Promise<{ readonly metadata: MavenMetadata | undefined; readonly exchange: Exchange }> {
    const res = await this.#get(repositoryPath([...artifactSegments(parseCoordinates(name)), version, METADATA_FILE]));
    if (res.status === 404) {
      await res.dump();
      return { metadata: undefined, exchange: res.exchange };
    }
    await refuseUnless2xx(res, `reading the ${METADATA_FILE} of ${name}:${version}`);
    return { metadata: await parseResponse(res), exchange: res.exchange };
  }

  async versions(name: string): Promise<readonly string[]> {
    return (await this.mavenMetadata(name)).metadata?.versioning.versions ?? [];
  }

  async latest(name: string): Promise<string | undefined> {
    return (await this.mavenMetadata(name)).metadata?.versioning.latest;
  }

  async metadata(name: string): Promise<Exchange> {
    const res = await this.#get(repositoryPath([...artifactSegments(parseCoordinates(name)), METADATA_FILE]));
    await res.text();
    ensureUsable(res, `reading the ${METADATA_FILE} of ${name}`);
    return res.exchange;
  }

  /** A raw request through the recording client (scenarios that look at single files). */
  request(method: string, segments: readonly string[], body?: string | Uint8Array): Promise<HttpResponse> {
    return this.#http.request({ method, path: repositoryPath(segments), body });
  }
}

/** Reads an answer's body: refusals keep a snippet of it as evidence, the rest is discarded. */
async function drain(res: HttpResponse): Promise<void> {
  if (isSuccess(res.status)) await res.dump();
  else await res.text().catch(() => undefined);
}

async function refuseUnless2xx(res: HttpResponse, what: string, earlier: readonly Exchange[] = []): Promise<void> {
  if (!isSuccess(res.status)) await drain(res);
  ensureUsable(res, what);
  if (!isSuccess(res.status)) {
    throw new ProtocolError(`${what}: ${describeExchange(res.exchange)}`, [...earlier, res.exchange]);
  }
}

/** A file that must be there: any 4xx is a ConformanceFailure naming it (5xx and unreachable stay protocol errors). */
async function failUnlessServed(res: HttpResponse, what: string, earlier: readonly Exchange[] = []): Promise<void> {
  if (isSuccess(res.status)) return;
  await drain(res);
  ensureUsable(res, `downloading ${what}`);
  throw new ConformanceFailure(
    `${what} is not served: ${describeExchange(res.exchange)}`,
    { expected: `200 with ${what}`, actual: `status ${res.status}` },
    [...earlier, res.exchange],
  );
}

async function parseResponse(res: HttpResponse): Promise<MavenMetadata> {
  const type = res.headers["content-type"] ?? "";
  const body = await res.text();
  if (/html/i.test(type)) {
    throw new ProtocolError(`${describeExchange(res.exchange)}: HTML where ${METADATA_FILE} was due`, [res.exchange]);
  }
  try {
    return parseMavenMetadata(body);
  } catch (error) {
    if (error instanceof MetadataParseError) {
      throw new ProtocolError(`${describeExchange(res.exchange)}: ${error.message}`, [res.exchange], {
        expected: `a ${METADATA_FILE} document`,
        actual: body.slice(0, 200),
      });
    }
    throw error;
  }
}

function xmlContent(metadata: MavenMetadata): Content {
  return contentFromBytes(Buffer.from(renderMavenMetadata(metadata), "utf8"));
}

/** The kit's `connect`. */
export function connectMaven(session: Session<MavenProfile>): MavenClient {
  return new MavenClient(session);
}
