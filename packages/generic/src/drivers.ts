/**
 * curl, the client GitLab documents for Generic packages, driven as a real
 * process through core's runTool: `curl --fail-with-body --upload-file` to
 * publish, `curl --fail-with-body -o` to download. Credentials go in a curl
 * config file (mode 0600) rather than on the command line, so they never show
 * in a process list: `header = "PRIVATE-TOKEN: …"` for GitLab's token headers,
 * `user = "name:token"` for Basic (curl's `--user`). curl's own verdict counts:
 * its exit code (22 for an HTTP error, 18 for a body shorter than its
 * Content-Length), and a download's SHA-256 must equal `X-Checksum-SHA256`
 * where the registry sends it.
 *
 * @module
 */
import { createReadStream, createWriteStream } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  type Artifact,
  type ClientDriver,
  type Content,
  ConformanceFailure,
  type DriverContext,
  type ToolResult,
  digestOf,
  probeTool,
  runTool,
} from "@regkit/core";
import { GenericClient } from "./client.js";
import { genericGitLabFacts as facts } from "./gitlab.js";
import { mainFileName } from "./package.js";
import type { GenericProfile } from "./profiles.js";

/** How long curl may take against a registry, however badly the registry behaves. */
export interface CurlLimits {
  /** Wall-clock limit of one curl command (`--max-time`, and runTool's limit a little past it), ms. */
  readonly totalMs: number;
  /** curl's limit for connecting (`--connect-timeout`), ms. */
  readonly connectMs: number;
}

/** Four minutes per file, 30 s to connect: curl's default is no limit at all. */
export const CURL_LIMITS: CurlLimits = { totalMs: 240_000, connectMs: 30_000 };

/** `--fail-with-body` came with curl 7.76.0. */
const MIN_VERSION = [7, 76] as const;
const STATUS_MARK = "regkit-http-status:";

/** The version curl prints first (`curl 7.88.1 (x86_64-pc-linux-gnu) …`), as numbers. */
export function curlVersion(line: string): readonly number[] | undefined {
  const match = /^curl (\d+)\.(\d+)(?:\.(\d+))?/.exec(line);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : undefined;
}

/** A curl config line's value: quoted, with `\` and `"` escaped (curl's config syntax). */
function quoted(value: string): string {
  return `"${value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/**
 * The curl config lines that present the credential the profile's way: the
 * profile's Basic header becomes `user = "name:token"` (`--user`), any other
 * header a `header = "Name: value"` line.
 */
export function curlAuthConfig(headers: Readonly<Record<string, string>>): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(headers)) {
    const basic = key.toLowerCase() === "authorization" ? /^Basic\s+(.+)$/i.exec(value) : null;
    if (basic) lines.push(`user = ${quoted(Buffer.from(basic[1]!, "base64").toString("utf8"))}`);
    else lines.push(`header = ${quoted(`${key}: ${value}`)}`);
  }
  return lines;
}

async function writeConfig(ctx: DriverContext<GenericProfile>, file: string): Promise<string> {
  const lines = curlAuthConfig(ctx.target.profile.authHeaders(ctx.credential));
  const path = join(ctx.workdir, file);
  await writeFile(path, `${lines.join("\n")}\n`, { mode: 0o600 });
  return path;
}

function common(config: string, limits: CurlLimits): string[] {
  return [
    "--config", config,
    "--silent", "--show-error", "--fail-with-body",
    // No Expect: 100-continue: the upload starts at once, as GitLab's docs show it.
    "--header", "Expect:",
    "--max-time", String(Math.max(1, Math.ceil(limits.totalMs / 1000))),
    "--connect-timeout", String(Math.max(1, Math.ceil(limits.connectMs / 1000))),
    "--write-out", `\n${STATUS_MARK}%{http_code}\n`,
  ];
}

async function curl(args: readonly string[], ctx: DriverContext<GenericProfile>, limits: CurlLimits): Promise<ToolResult> {
  // A little past curl's own --max-time: what ends a stalled transfer must be curl, with its message.
  return runTool({ command: "curl", args, cwd: ctx.workdir, timeoutMs: limits.totalMs + 15_000, signal: ctx.signal, secrets: ctx.secrets });
}

/** The HTTP status curl reported, 0 when none came. */
export function reportedStatus(output: string): number {
  const match = new RegExp(`${STATUS_MARK}(\\d{3})`).exec(output);
  return match ? Number(match[1]) : 0;
}

function url(ctx: DriverContext<GenericProfile>, name: string, version: string, filename: string): string {
  return `${ctx.registry.replace(/\/+$/, "")}${GenericClient.path(name, version, filename)}`;
}

async function toFile(content: Content, path: string): Promise<void> {
  await pipeline(Readable.from(content.bytes ? [content.bytes] : content.stream()), createWriteStream(path));
}

/** The value of header `name` in a header dump curl wrote (`--dump-header`), from the last response. */
export function dumpedHeader(dump: string, name: string): string | undefined {
  let value: string | undefined;
  for (const line of dump.split(/\r?\n/)) {
    if (/^HTTP\//.test(line)) value = undefined;
    const colon = line.indexOf(":");
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) value = line.slice(colon + 1).trim();
  }
  return value;
}

/** curl, as found on PATH, bounded by `limits` (tests shorten them). */
export function createCurlDriver(limits: CurlLimits = CURL_LIMITS): ClientDriver<GenericProfile> {
  return {
    name: "curl",
    async unavailable() {
      const line = await probeTool("curl", ["--version"]);
      if (!line) return "curl not found on PATH (install the Debian package curl)";
      const version = curlVersion(line);
      if (!version) return `curl --version printed ${JSON.stringify(line.slice(0, 80))}, not a curl version`;
      const [major = 0, minor = 0] = version;
      if (major < MIN_VERSION[0] || (major === MIN_VERSION[0] && minor < MIN_VERSION[1])) {
        return `curl ${version.join(".")} has no --fail-with-body (needs ${MIN_VERSION.join(".")} or newer)`;
      }
      return undefined;
    },

    /** `curl --upload-file` of every file of the artifact; the first refusal ends it. */
    async publish(artifact: Artifact, ctx: DriverContext<GenericProfile>) {
      const config = await writeConfig(ctx, "curl-upload.conf");
      const outputs: string[] = [];
      const files = [{ filename: artifact.filename, content: artifact.content }, ...(artifact.extra ?? [])];
      for (const [i, file] of files.entries()) {
        const local = join(ctx.workdir, `upload-${i}`);
        await toFile(file.content, local);
        const result = await curl([...common(config, limits), "--upload-file", local, url(ctx, artifact.name, artifact.version, file.filename)], ctx, limits);
        outputs.push(`${file.filename}: exit ${result.code}: ${result.output.trim()}`);
        if (result.code !== 0) return { accepted: false, output: outputs.join("\n") };
      }
      return { accepted: true, output: outputs.join("\n") };
    },

    /**
     * `curl -o` of the main file. curl must end well (a truncated body is its
     * exit 18), and the file must match `X-Checksum-SHA256` when the registry
     * sends one; else a ConformanceFailure with curl's output.
     */
    async install(name: string, version: string, ctx: DriverContext<GenericProfile>) {
      const config = await writeConfig(ctx, "curl-download.conf");
      const local = join(ctx.workdir, `download-${Date.now().toString(36)}`);
      const dump = `${local}.headers`;
      const filename = mainFileName(name, version);
      const result = await curl([...common(config, limits), "--dump-header", dump, "--output", local, url(ctx, name, version, filename)], ctx, limits);
      if (result.code !== 0) {
        throw new ConformanceFailure(`curl could not download ${filename} of ${name}@${version}`, {
          expected: "curl exits 0 with the whole file",
          actual: `exit code ${result.code}${result.timedOut ? " (killed at its time limit)" : ""}: ${result.output.trim().slice(-600)}`,
        });
      }
      const { digests } = await digestOf(createReadStream(local));
      const header = facts.download.value.checksumHeader;
      const stated = dumpedHeader(await readFile(dump, "utf8").catch(() => ""), header)?.toLowerCase();
      if (stated !== undefined && stated !== digests.sha256) {
        throw new ConformanceFailure(`the file curl downloaded does not match its ${header}`, {
          expected: `sha256 ${stated} (the header)`,
          actual: `sha256 ${digests.sha256} (the file curl wrote)`,
        });
      }
      return { digests, output: result.output };
    },
  };
}

/** The kit's curl driver, with {@link CURL_LIMITS}. */
export const curlDriver: ClientDriver<GenericProfile> = createCurlDriver();
