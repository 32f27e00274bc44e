/**
 * Maven routes of the embedded reference registry, answering as GitLab does
 * (every status, message and rule comes from the facts in `gitlab.ts`): one
 * `PUT /*path` at project level, one `GET /*path` at project and group level,
 * and GitLab's stricter instance-level `GET`.
 *
 * - Files are stored per (`groupId:artifactId`, version), parsed from the path.
 *   The artifact-level `maven-metadata.xml` (and the files named after it) is a
 *   file of the artifact itself (GitLab: a versionless package); a SNAPSHOT's
 *   version-level one is a file of that version.
 * - Only `.sha1` and `.md5` are checksums: a `.sha1` PUT is compared byte for
 *   byte with the stored file's SHA-1 (204 or 409), a `.md5` PUT is accepted
 *   unchecked, and both are answered on GET from the stored file's digests.
 *   `.sha256` and `.sha512` are ordinary files: stored as given, served as
 *   stored, 404 when never uploaded.
 * - Uploads check the file name against GitLab's regex and length only (no
 *   `<artifactId>-<version>` prefix), and the path and version when they name
 *   a new package; downloads check nothing but what the router already refuses
 *   (path traversal): anything else that is not stored is 404.
 * - Under a `reject` duplicates policy a file name (timestamp and build number
 *   of a SNAPSHOT stripped) the version already has is refused with 400;
 *   artifact-level metadata never is.
 *
 * @module
 */
import type { Readable } from "node:stream";
import {
  type ReferenceFormat,
  type ReferenceReply,
  type ReferenceRequest,
  ReferenceHttpError,
} from "@regkit/registry/contract";
import { mavenGitLabFacts as facts } from "../gitlab.js";
import { METADATA_FILE } from "../layout.js";
import { gitlabPackageName } from "../profiles.js";

/**
 * The store version that holds an artifact's own files (its `maven-metadata.xml`):
 * `@` cannot appear in a Maven version GitLab accepts, so no real version collides.
 */
export const ARTIFACT_LEVEL = "@artifact";

/** The checksum formats GitLab knows: everything else is a file. */
type GitLabChecksum = "sha1" | "md5";
const GITLAB_CHECKSUMS: readonly GitLabChecksum[] = ["sha1", "md5"];
/** The dynamic part of a SNAPSHOT file name: `-20240102.030405-7`. */
const SNAPSHOT_PARTS = /-\d{8}\.\d{6}-\d+/;
/** A `.sha1` body longer than this cannot be the 40-hex digest. */
const MAX_CHECKSUM_BODY = 1024;

/** Where a request path points in the store. */
export interface MavenLocation {
  /** `groupId:artifactId`. */
  readonly name: string;
  /** The version, or {@link ARTIFACT_LEVEL}. */
  readonly version: string;
  /** The stored file (without a `.sha1`/`.md5` suffix). */
  readonly filename: string;
  readonly checksum?: GitLabChecksum | undefined;
  /** The path's directories (`com/example/app/1.0`). */
  readonly directory: readonly string[];
}

function badRequest(message: string): ReferenceHttpError {
  return new ReferenceHttpError(400, `400 Bad request - ${message}`);
}

function packageNotFound(): ReferenceHttpError {
  return new ReferenceHttpError(facts.missingFile.value.status, facts.missingFile.value.message);
}

function isGitlabSnapshot(version: string): boolean {
  return version.endsWith("-SNAPSHOT");
}

/**
 * Splits a repository path into its store location, without judging it;
 * undefined when it cannot name a package (fewer than two directories).
 */
function splitMavenPath(path: string): MavenLocation | undefined {
  const directory = path.split("/");
  let filename = directory.pop() ?? "";
  let checksum: GitLabChecksum | undefined;
  for (const format of GITLAB_CHECKSUMS) {
    if (filename.endsWith(`.${format}`)) {
      checksum = format;
      filename = filename.slice(0, -(format.length + 1));
      break;
    }
  }
  const artifactLevel =
    (filename === METADATA_FILE || filename.startsWith(`${METADATA_FILE}.`)) && !isGitlabSnapshot(directory.at(-1) ?? "");
  const dirs = [...directory];
  if (artifactLevel) {
    if (dirs.length < 2) return undefined;
    const artifactId = dirs.pop()!;
    return { name: `${dirs.join(".")}:${artifactId}`, version: ARTIFACT_LEVEL, filename, checksum, directory };
  }
  if (dirs.length < 3) return undefined;
  const version = dirs.pop()!;
  const artifactId = dirs.pop()!;
  return { name: `${dirs.join(".")}:${artifactId}`, version, filename, checksum, directory };
}

/**
 * Parses an upload path; a 400 for anything GitLab refuses to store: a file
 * name outside `maven_file_name_regex` or over 5000 characters, a path that
 * cannot name a package, a group or artifact segment or a version its
 * validations refuse.
 */
export function locateMavenPath(path: string): MavenLocation {
  const fileName = path.slice(path.lastIndexOf("/") + 1);
  if (!facts.fileName.value.test(fileName)) throw badRequest("file_name is invalid");
  const length = facts.fileNameLength.value;
  if (fileName.length > length.max) throw new ReferenceHttpError(length.status, length.message);
  const location = splitMavenPath(path);
  const rules = facts.pathRules.value;
  const invalid = (what: string): ReferenceHttpError => new ReferenceHttpError(rules.status, `400 Bad request - ${rules.message}: ${what}`);
  if (!location) throw invalid("Maven metadatum app group can't be blank");
  const dirs = location.directory;
  const named = location.version === ARTIFACT_LEVEL ? dirs : dirs.slice(0, -1);
  for (const segment of named) {
    if (!rules.segment.test(segment)) throw invalid(`Maven metadatum path is invalid (${JSON.stringify(segment)})`);
  }
  if (location.version !== ARTIFACT_LEVEL && !rules.version.test(location.version)) {
    throw invalid(`Version is invalid (${JSON.stringify(location.version)})`);
  }
  return location;
}

/** What the duplicate check compares: the name with a SNAPSHOT's build stripped. */
function duplicateKey(filename: string, version: string): string {
  return isGitlabSnapshot(version) ? filename.replace(SNAPSHOT_PARTS, "") : filename;
}

/** The body of a small upload; undefined once it grows past `limit` (the rest is left to the registry to drain). */
async function readSmall(body: Readable, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body.iterator({ destroyOnReturn: false })) {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.byteLength;
    if (size > limit) return undefined;
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

function isTooLarge(error: unknown): boolean {
  return error instanceof Error && (error.name === "ReferenceError413" || (error as { status?: unknown }).status === 413);
}

type FileIndex = Record<string, string[]>;

async function put(req: ReferenceRequest): Promise<ReferenceReply> {
  const { name, version, filename, checksum } = locateMavenPath(req.params.path ?? "");
  if (checksum === "md5") return { status: facts.md5Upload.value, body: "" };
  if (checksum === "sha1") {
    const body = await readSmall(req.body, MAX_CHECKSUM_BODY);
    const file = await req.store.open(name, version, filename);
    const statuses = facts.sha1Upload.value;
    if (!file) throw new ReferenceHttpError(statuses.missing, "404 Not found");
    // GitLab compares SHA-256(stored hex) with SHA-256(uploaded body): the body must be the exact hex.
    if (body === undefined || !body.equals(Buffer.from(file.digests.sha1, "utf8"))) {
      return { status: statuses.mismatch, body: { message: "409 Conflict" } };
    }
    return { status: statuses.match };
  }

  let staged;
  try {
    staged = await req.store.stage(req.body, req.limits.maxFileSize);
  } catch (error) {
    if (isTooLarge(error)) throw new ReferenceHttpError(facts.overLimit.value.status, facts.overLimit.value.message);
    throw error;
  }
  const reject = req.policies.duplicates === "reject" && version !== ARTIFACT_LEVEL;
  const key = duplicateKey(filename, version);
  const refusal = facts.duplicateRefusal.value;
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
        if (reject && known.includes(key)) throw new ReferenceHttpError(refusal.status, refusal.message);
        index[version] = [...known.filter((k) => k !== key), key];
        return { ...metadata, files: index };
      },
    });
  } catch (error) {
    await req.store.discard(staged);
    throw error;
  }
  return { status: facts.uploadStatus.value };
}

async function serve(req: ReferenceRequest, location: MavenLocation | undefined): Promise<ReferenceReply> {
  if (!location) throw packageNotFound();
  const { name, version, filename, checksum } = location;
  const file = await req.store.open(name, version, filename);
  if (!file) throw packageNotFound();
  if (checksum) return { status: 200, headers: { "content-type": facts.checksumDownload.value.contentType }, body: file.digests[checksum] };
  const [sha1Header, md5Header] = facts.download.value.headers;
  return {
    status: 200,
    headers: {
      "content-type": facts.download.value.contentType,
      "content-length": String(file.size),
      [sha1Header]: file.digests.sha1,
      [md5Header]: file.digests.md5,
    },
    body: file.stream(),
  };
}

async function get(req: ReferenceRequest): Promise<ReferenceReply> {
  return serve(req, splitMavenPath(req.params.path ?? ""));
}

/**
 * Instance level: GitLab finds the project by the package's path without the
 * version, so only a package named like its project is served; any other path
 * is 403.
 */
async function getAtInstance(req: ReferenceRequest): Promise<ReferenceReply> {
  const location = splitMavenPath(req.params.path ?? "");
  const forbidden = new ReferenceHttpError(facts.instanceLevel.value, "403 Forbidden");
  if (!location || location.version === ARTIFACT_LEVEL) throw forbidden;
  if (location.directory.slice(0, -1).join("/") !== req.project.path) throw forbidden;
  return serve(req, location);
}

const levels = facts.routes.value;

/** The Maven format of the reference registry (`/api/v4/projects/:id/packages/maven`). */
export const mavenReference: ReferenceFormat = {
  segment: "maven",
  auth: ["headers", "basic"],
  basicUsernames: "ignored",
  policies: { duplicates: facts.duplicatesDefault.value, duplicateStatus: [facts.duplicateRefusal.value.status] },
  limits: { maxFileSize: facts.maxFileSize.value },
  // GitLab lists `com/example/app`, and the artifact-level metadata as a versionless package.
  listed: (pkg, version) => ({ name: gitlabPackageName(pkg.name), version: version === ARTIFACT_LEVEL ? null : version }),
  routes: [
    { method: "PUT", path: "/*path", access: "write", levels: levels.put, handle: put },
    { method: "GET", path: "/*path", access: "read", levels: levels.get.filter((l) => l !== "instance"), handle: get },
    { method: "GET", path: "/*path", access: "read", levels: ["instance"], handle: getAtInstance },
  ],
};
