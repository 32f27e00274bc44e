/**
 * Helm routes of the embedded reference registry, answering as GitLab does
 * (every status, message and rule comes from the facts in `../gitlab.ts`):
 *
 * - `POST /api/:channel/charts` (multipart field `chart`, project level):
 *   the chart streams into the store under the format's size limit (past it,
 *   Rails' 400 `File is too large`); its `*∕Chart.yaml` is read from the first
 *   4 MiB of the upload (GitLab reads the whole archive: a chart whose
 *   Chart.yaml comes later is one the reference cannot read), its name and
 *   version checked against GitLab's rules. An upload that is no readable
 *   chart is answered 201 and never listed, as GitLab's background job leaves
 *   it in status `error`. GitLab reads charts in that job; the reference reads
 *   them before it answers, so a chart is listed as soon as the 201 comes.
 * - A version uploaded again is replaced: the index entry and the download
 *   are the newest upload's.
 * - `GET /:channel/index.yaml`: `apiVersion: v1`, `entries` (each the
 *   chart's Chart.yaml plus `created`, `digest`, `urls: [charts/<file>]`),
 *   `generated`, `serverInfo.contextPath`; the 1000 most recently created
 *   versions of the channel, a chart's versions newest first (GitLab does not
 *   sort them by SemVer).
 * - `GET /:channel/charts/:file.tgz`: the newest upload of that file name in
 *   the channel, 404 otherwise.
 *
 * Credentials travel as HTTP Basic only, as on GitLab. (GitLab takes a job
 * token under any Basic username; the reference registry wants
 * `gitlab-ci-token`, the name GitLab documents and the kit sends.)
 *
 * @module
 */
import { type ReferenceFormat, type ReferenceReply, type ReferenceRequest, type StoredFile, type StoredPackage, ReferenceHttpError, stageMultipart } from "@regkit/registry/contract";
import { stringify } from "yaml";
import { chartFileName, parseChartYaml, readChartYaml } from "../chart.js";
import { helmGitLabFacts as facts } from "../gitlab.js";

/** The refusal of a duplicate where the policy is `reject` (ChartMuseum's 409; GitLab never refuses one). */
const DUPLICATE_STATUS = 409;

/** Upload bytes kept to find Chart.yaml in (a chart's Chart.yaml comes first in every archive `helm package` writes). */
const HEAD_BYTES = 4 * 1024 * 1024;

/** What the store keeps per channel and version, in the package's metadata. */
interface ChartRecord {
  readonly chart: Record<string, unknown>;
  readonly file: string;
}
type Charts = Record<string, Record<string, ChartRecord>>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function chartsOf(metadata: Readonly<Record<string, unknown>>): Charts {
  return isRecord(metadata.charts) ? (metadata.charts as Charts) : {};
}

/** The stored file name of a chart in a channel (the store keys files by version; a channel's file is its own). */
function storedName(channel: string, file: string): string {
  return `${channel}/${file}`;
}

/** Grape's answer to a parameter outside its rule. */
function invalid(param: string): ReferenceReply {
  return { status: 400, body: { error: `${param} is invalid` } };
}

function notFound(message = "404 Not Found"): ReferenceReply {
  return { status: facts.download.value.missing, body: { message } };
}

/** Ruby's `strftime('%Y-%m-%dT%H:%M:%S.%NZ')`: nanoseconds. */
function rubyTime(iso: string): string {
  const date = new Date(iso);
  return `${date.toISOString().slice(0, 19)}.${String(date.getUTCMilliseconds()).padStart(3, "0")}000000Z`;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;
}

/** An index entry, rendered, with the time its version was created (the index keeps the newest versions). */
interface Listed {
  readonly name: string;
  readonly createdAt: string;
  /** The entry as a YAML sequence item, indented to sit under its chart's key in `entries`. */
  readonly yaml: string;
}

/**
 * A package's entries in a channel, rendered to YAML once per revision of the
 * package: the index is assembled from these pieces, so its cost grows with
 * the number of versions only by string concatenation (push.many watches it).
 */
function entriesOf(req: ReferenceRequest, pkg: StoredPackage, channel: string): Listed[] {
  const bytes = req.store.rendered(pkg, `helm-entries:${channel}`, () => {
    const records = chartsOf(pkg.metadata)[channel] ?? {};
    const listed: Listed[] = [];
    for (const version of pkg.versions) {
      const record = records[version.version];
      if (!record) continue;
      const file = version.files.find((f) => f.filename === storedName(channel, record.file));
      if (!file) continue;
      listed.push({ name: text(record.chart.name) ?? pkg.name, createdAt: version.createdAt, yaml: entryYaml(record, file) });
    }
    return JSON.stringify(listed);
  });
  // The store hands back the same bytes while the rendering is kept: parse them once.
  let parsed = parsedRenderings.get(bytes);
  if (!parsed) {
    parsed = JSON.parse(Buffer.from(bytes).toString("utf8")) as Listed[];
    parsedRenderings.set(bytes, parsed);
  }
  return parsed;
}

const parsedRenderings = new WeakMap<Uint8Array, Listed[]>();

/**
 * One version's index entry as YAML. A publish replaces the package's
 * revision but keeps the stored objects of the versions it did not touch, so
 * each entry is rendered once, not once per later publish (which made a
 * channel's index cost O(n^2) over n uploads).
 */
function entryYaml(record: ChartRecord, file: StoredFile): string {
  const known = renderedEntries.get(file);
  if (known?.record === record) return known.yaml;
  const entry = { ...record.chart, created: rubyTime(file.createdAt), digest: file.digests.sha256, urls: [`charts/${record.file}`] };
  const yaml = stringify([entry], { lineWidth: 0 })
    .split("\n")
    .map((line) => (line ? `  ${line}` : line))
    .join("\n");
  renderedEntries.set(file, { record, yaml });
  return yaml;
}

const renderedEntries = new WeakMap<StoredFile, { readonly record: ChartRecord; readonly yaml: string }>();

function indexRoute(limit: number) {
  return async function index(req: ReferenceRequest): Promise<ReferenceReply> {
    const channel = req.params.channel ?? "";
    if (!facts.channelRule.value.test(channel)) return invalid("channel");
    const all: Listed[] = [];
    for (const name of await req.store.names()) {
      const pkg = await req.store.get(name);
      if (pkg) all.push(...entriesOf(req, pkg, channel));
    }
    // The most recently created versions first, at most MAX_PACKAGES_COUNT of them (helmGitLabFacts.indexLimit, indexOrder).
    all.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
    const byName = new Map<string, string[]>();
    for (const { name, yaml } of all.slice(0, limit)) {
      const list = byName.get(name);
      if (list) list.push(yaml);
      else byName.set(name, [yaml]);
    }
    // Keys quoted (JSON strings are YAML): a chart named `true` or `1e3` stays a string.
    const entries = byName.size === 0 ? "entries: {}\n" : `entries:\n${[...byName].map(([name, items]) => `  ${JSON.stringify(name)}:\n${items.join("")}`).join("")}`;
    const tail = stringify({ generated: rubyTime(new Date().toISOString()), serverInfo: { contextPath: `/api/v4/projects/${req.project.id}/packages/helm` } });
    const body = `---\napiVersion: ${facts.indexDocument.value.apiVersion}\n${entries}${tail}`;
    return { status: 200, headers: { "content-type": facts.indexDocument.value.contentType }, body };
  };
}

/** The `name`/`version` splits of `<name>-<version>` whose version is SemVer, longest name first. */
function splits(base: string): { readonly name: string; readonly version: string }[] {
  const found: { name: string; version: string }[] = [];
  for (let i = base.length - 1; i > 0; i--) {
    if (base[i] !== "-") continue;
    const version = base.slice(i + 1);
    if (facts.nameVersionRule.value.version.test(version)) found.push({ name: base.slice(0, i), version });
  }
  return found;
}

async function chart(req: ReferenceRequest): Promise<ReferenceReply> {
  const channel = req.params.channel ?? "";
  if (!facts.channelRule.value.test(channel)) return invalid("channel");
  const file = req.params.file ?? "";
  const format = /\.tgz\.([^.]+)$/.exec(file);
  if (format) return notFound(`404 Format ${format[1]} Not Found`);
  if (!file.endsWith(".tgz")) return notFound();
  for (const { name, version } of splits(file.slice(0, -".tgz".length))) {
    const pkg = await req.store.get(name);
    const record = pkg && chartsOf(pkg.metadata)[channel]?.[version];
    if (!record || record.file !== file) continue;
    const stored = await req.store.open(name, version, storedName(channel, file));
    if (!stored) continue;
    return {
      status: facts.download.value.status,
      headers: { "content-type": "application/octet-stream", "content-length": String(stored.size), "content-disposition": `attachment; filename="${file}"` },
      body: stored.stream(),
    };
  }
  return notFound();
}

function isTooLarge(error: unknown): boolean {
  return error instanceof ReferenceHttpError && error.status === 413;
}

/** The chart's name and version when the upload is a chart GitLab's background job could read; undefined otherwise. */
async function readableChart(head: Uint8Array): Promise<{ readonly chart: Record<string, unknown>; readonly name: string; readonly version: string } | undefined> {
  const yaml = await readChartYaml(head);
  const chart = yaml === undefined ? undefined : parseChartYaml(yaml);
  const name = text(chart?.name);
  const version = text(chart?.version);
  if (!chart || name === undefined || version === undefined) return undefined;
  if (!facts.nameVersionRule.value.name.test(name) || !facts.nameVersionRule.value.version.test(version)) return undefined;
  return { chart, name, version };
}

async function upload(req: ReferenceRequest): Promise<ReferenceReply> {
  const channel = req.params.channel ?? "";
  if (!facts.channelRule.value.test(channel)) return invalid("channel");
  let form;
  try {
    form = await stageMultipart(req, { field: facts.routes.value.field, headBytes: HEAD_BYTES, notMultipart: "chart is missing", malformed: "chart is invalid" });
  } catch (error) {
    // Rails' answer (helmGitLabFacts.overLimit); the bytes past the limit were never kept.
    if (isTooLarge(error)) return { status: facts.overLimit.value.status, body: { message: facts.overLimit.value.message } };
    throw error;
  }
  if (!form.file) return { status: facts.uploadStatus.value.missingField, body: { error: "chart is missing" } };
  const created: ReferenceReply = { status: facts.uploadStatus.value.created, body: { message: facts.uploadStatus.value.message } };
  const readable = await readableChart(form.head);
  if (!readable) {
    // GitLab answered 201 before reading it; its job then fails and the chart is never listed (helmGitLabFacts.processing).
    await req.store.discard(form.file.staged);
    return created;
  }
  const { chart: metadata, name, version } = readable;
  const file = chartFileName(name, version);
  const outcome = await req.store.commit({
    name,
    version,
    files: [{ filename: storedName(channel, file), staged: form.file.staged }],
    metadata: {},
    // The newest upload wins (helmGitLabFacts.duplicates). GitLab has no setting that refuses them; a registry
    // configured to (the policy `reject`) refuses a file the channel already holds, as ChartMuseum without --allow-overwrite does.
    duplicates: "allow",
    fileDuplicates: req.policies.duplicates,
    update: (current) => {
      const charts = chartsOf(current);
      return { ...current, charts: { ...charts, [channel]: { ...charts[channel], [version]: { chart: metadata, file } } } };
    },
  });
  if (outcome.kind === "duplicate") return { status: DUPLICATE_STATUS, body: { error: "file already exists" } };
  return created;
}

/** How the reference's Helm format is configured beyond the registry's own settings. */
export interface HelmReferenceOptions {
  /** Versions a channel's index lists at most (GitLab's MAX_PACKAGES_COUNT, 1000); tests lower it. */
  readonly indexLimit?: number | undefined;
}

/** The Helm format of the reference registry. */
export function createHelmReference(options: HelmReferenceOptions = {}): ReferenceFormat {
  return {
    segment: "helm",
    // HTTP Basic only (helmGitLabFacts.auth).
    auth: ["basic"],
    // Any username, every token kind, an unknown password 401 (helmGitLabFacts.auth: TokenResolver reads the password only).
    basicUsernames: "any",
    policies: { duplicates: facts.duplicates.value, duplicateStatus: [] },
    limits: { maxFileSize: facts.maxFileSize.value },
    routes: [
      { method: "GET", path: "/:channel/index.yaml", access: "read", levels: ["project"], handle: indexRoute(options.indexLimit ?? facts.indexLimit.value) },
      { method: "GET", path: "/:channel/charts/:file", access: "read", levels: ["project"], handle: chart },
      { method: "POST", path: "/api/:channel/charts", access: "write", levels: ["project"], handle: upload },
    ],
  };
}

/** The Helm format as the reference registry serves it at /api/v4/projects/:id/packages/helm. */
export const helmReference: ReferenceFormat = createHelmReference();
