/**
 * Maven routes of the embedded reference registry, with GitLab's semantics:
 * one `PUT /*path` and one `GET /*path` over the repository layout.
 *
 * - Files are stored per (`groupId:artifactId`, version), parsed from the path.
 *   The artifact-level `maven-metadata.xml` is a file of the artifact itself
 *   (GitLab: a package without a version); a SNAPSHOT's version-level one is a
 *   file of that version.
 * - Checksum files are never stored: a PUT is checked against the stored file
 *   (`.sha1` 204 or 409, `.sha256`/`.sha512` 200 or 409, `.md5` 200 unchecked,
 *   as GitLab), a GET answers the stored file's digest.
 * - Under a `reject` duplicates policy a file whose name (timestamp and build
 *   number of a SNAPSHOT stripped) the version already has is refused with
 *   `400 Duplicate package is not allowed`; artifact-level metadata may always
 *   be replaced.
 *
 * @module
 */
import type { Readable } from "node:stream";
import {
  type ReferenceFormat,
  type ReferenceReply,
  type ReferenceRequest,
  ReferenceHttpError,
} from "@regkit/core";
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm, METADATA_FILE } from "./layout.js";
import { GITLAB_MAVEN_LIMIT, gitlabPackageName } from "./profiles.js";

/**
 * The store version that holds a artifact's own files (its `maven-metadata.xml`):
 * `@` cannot appear in a Maven version GitLab accepts, so no real version collides.
 */
export const ARTIFACT_LEVEL = "@artifact";

/** GitLab's rules: path segments, file names, versions (no `..`). */
const SEGMENT = /^[A-Za-z0-9_.-]+$/;
const FILE_NAME = /^[A-Za-z0-9_.+-]+$/;
const VERSION = /^(?!.*\.\.)[A-Za-z0-9_+.-]+$/;
/** The dynamic part of a SNAPSHOT file name: `-20240102.030405-7`. */
const SNAPSHOT_PARTS = /-\d{8}\.\d{6}-\d+/;
const MAX_CHECKSUM_BODY = 1024;

/** Where a request path points in the store. */
export interface MavenLocation {
  /** `groupId:artifactId`. */
  readonly name: string;
  /** The version, or {@link ARTIFACT_LEVEL}. */
  readonly version: string;
  /** The stored file (without a checksum suffix). */
  readonly filename: string;
  readonly checksum?: ChecksumAlgorithm | undefined;
}

function badRequest(message: string): ReferenceHttpError {
  return new ReferenceHttpError(400, `400 Bad request - ${message}`);
}

function isGitlabSnapshot(version: string): boolean {
  return version.endsWith("-SNAPSHOT");
}

/** Parses a repository path; a 400 for anything GitLab would refuse. */
export function locateMavenPath(path: string): MavenLocation {
  const segments = path.split("/");
  if (segments.some((s) => s === "")) throw badRequest("empty path segment");
  let last = segments.pop() ?? "";
  let checksum: ChecksumAlgorithm | undefined;
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    if (last.endsWith(`.${algorithm}`)) {
      checksum = algorithm;
      last = last.slice(0, -(algorithm.length + 1));
      break;
    }
  }
  if (!FILE_NAME.test(last)) throw badRequest(`invalid file name ${JSON.stringify(last)}`);
  for (const segment of segments) {
    if (!SEGMENT.test(segment)) throw badRequest(`invalid path segment ${JSON.stringify(segment)}`);
  }

  const artifactLevel = last === METADATA_FILE && !(segments.length >= 3 && isGitlabSnapshot(segments.at(-1) ?? ""));
  if (artifactLevel) {
    if (segments.length < 2) throw badRequest("a maven-metadata.xml path needs a groupId and an artifactId");
    const artifactId = segments.pop() ?? "";
    return { name: `${segments.join(".")}:${artifactId}`, version: ARTIFACT_LEVEL, filename: last, checksum };
  }
  if (segments.length < 3) throw badRequest("a file path needs groupId/artifactId/version/file");
  const version = segments.pop() ?? "";
  const artifactId = segments.pop() ?? "";
  if (!VERSION.test(version)) throw badRequest(`invalid version ${JSON.stringify(version)}`);
  const base = isGitlabSnapshot(version) ? version.slice(0, -"-SNAPSHOT".length) : version;
  if (last !== METADATA_FILE && !last.startsWith(`${artifactId}-${base}`)) {
    throw badRequest(`${last} is not a file of ${artifactId} ${version}`);
  }
  return { name: `${segments.join(".")}:${artifactId}`, version, filename: last, checksum };
}

/** What the duplicate check compares: the name with a SNAPSHOT's build stripped. */
function duplicateKey(filename: string, version: string): string {
  return isGitlabSnapshot(version) ? filename.replace(SNAPSHOT_PARTS, "") : filename;
}

function contentTypeOf(filename: string): string {
  if (filename.endsWith(".xml") || filename.endsWith(".pom")) return "application/xml";
  if (filename.endsWith(".jar")) return "application/java-archive";
  return "application/octet-stream";
}

async function readSmall(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body.iterator({ destroyOnReturn: false })) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.byteLength;
    if (size > limit) throw badRequest("a checksum file is a few bytes of hex");
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function checksumOf(text: string): string {
  return (text.trim().split(/\s+/)[0] ?? "").toLowerCase();
}

type FileIndex = Record<string, string[]>;

async function put(req: ReferenceRequest): Promise<ReferenceReply> {
  const location = locateMavenPath(req.params.path ?? "");
  const { name, version, filename, checksum } = location;
  if (checksum) {
    const stated = checksumOf(await readSmall(req.body, MAX_CHECKSUM_BODY));
    // GitLab stores no MD5 to compare with (and refuses MD5 under FIPS): accepted as is.
    if (checksum === "md5") return { status: 200 };
    const file = await req.store.open(name, version, filename);
    if (!file) throw new ReferenceHttpError(404, "404 Not Found");
    if (stated !== file.digests[checksum]) return { status: 409, body: { message: "409 Conflict" } };
    return { status: checksum === "sha1" ? 204 : 200 };
  }

  const staged = await req.store.stage(req.body, req.limits.maxFileSize);
  const reject = req.policies.duplicates === "reject" && version !== ARTIFACT_LEVEL;
  const key = duplicateKey(filename, version);
  try {
    await req.store.commit({
      name,
      version,
      files: [{ filename, staged }],
      metadata: {},
      // Maven adds files to a version one PUT at a time: the duplicate rule is
      // per file, checked below under the store's package lock.
      duplicates: "allow",
      update: (metadata) => {
        const index = { ...((metadata.files as FileIndex | undefined) ?? {}) };
        const known = index[version] ?? [];
        if (reject && known.includes(key)) throw new ReferenceHttpError(400, "Duplicate package is not allowed");
        index[version] = [...known.filter((k) => k !== key), key];
        return { ...metadata, files: index };
      },
    });
  } catch (error) {
    await req.store.discard(staged);
    throw error;
  }
  return { status: 200 };
}

async function get(req: ReferenceRequest): Promise<ReferenceReply> {
  const { name, version, filename, checksum } = locateMavenPath(req.params.path ?? "");
  const file = await req.store.open(name, version, filename);
  if (!file) throw new ReferenceHttpError(404, "404 Not Found");
  if (checksum) return { status: 200, headers: { "content-type": "text/plain" }, body: file.digests[checksum] };
  return {
    status: 200,
    headers: { "content-type": contentTypeOf(filename), "content-length": String(file.size) },
    body: file.stream(),
  };
}

/** The Maven format of the reference registry (`/api/v4/projects/:id/packages/maven`). */
export const mavenReference: ReferenceFormat = {
  segment: "maven",
  auth: ["headers", "basic"],
  policies: { duplicates: "allow", duplicateStatus: [400] },
  limits: { maxFileSize: GITLAB_MAVEN_LIMIT },
  // GitLab lists `com/example/app`, and the artifact-level metadata as a versionless package.
  listed: (pkg, version) => ({ name: gitlabPackageName(pkg.name), version: version === ARTIFACT_LEVEL ? null : version }),
  routes: [
    { method: "PUT", path: "/*path", access: "write", handle: put },
    { method: "GET", path: "/*path", access: "read", handle: get },
  ],
};
