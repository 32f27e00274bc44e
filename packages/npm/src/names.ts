/** `@scope/name` -> `@scope%2fname`, as npm puts a name in a registry path. */
export function encodeName(name: string): string {
  return name.startsWith("@") ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name);
}

/** The file part of a tarball URL for a scoped name: `@scope/pkg` -> `pkg` (Verdaccio's URLs). */
export function basename(name: string): string {
  return name.startsWith("@") ? name.slice(name.indexOf("/") + 1) : name;
}

/**
 * `<name>-<version>.tgz` with the full name, scope included
 * (`@scope/pkg-1.0.0.tgz`): the attachment key the npm CLI sends
 * (libnpmpublish) and the file name GitLab looks up and serves.
 */
export function tarballName(name: string, version: string): string {
  return `${name}-${version}.tgz`;
}

const BLOCKED = new Set(["node_modules", "favicon.ico"]);
// Node's core modules: npm refuses them as new package names.
const BUILTINS = new Set([
  "assert", "buffer", "child_process", "cluster", "console", "constants", "crypto", "dgram", "dns", "domain", "events",
  "fs", "http", "https", "module", "net", "os", "path", "process", "punycode", "querystring", "readline", "repl",
  "stream", "string_decoder", "sys", "timers", "tls", "tty", "url", "util", "vm", "zlib", "http2", "inspector",
  "perf_hooks", "worker_threads", "async_hooks", "trace_events", "v8", "wasi",
]);

/**
 * Deviation ids of npm's naming rules a registry may not enforce (GitLab
 * checks only its own regex; Verdaccio applies the rules for old packages).
 */
export const NAME_RULE_DEVIATIONS = {
  tooLong: "npm.name-too-long",
  uppercase: "npm.name-uppercase",
  specialCharacters: "npm.name-special-characters",
  coreModule: "npm.name-core-module",
  leadingPeriod: "npm.name-leading-period",
  leadingUnderscore: "npm.name-leading-underscore",
  blocked: "npm.name-blocked",
} as const;

/** The deviation id under which a registry may accept a name refused for `reason`; undefined for rules every registry keeps. */
export function nameRuleDeviation(reason: string): string | undefined {
  if (reason === "name is longer than 214 characters") return NAME_RULE_DEVIATIONS.tooLong;
  if (reason === "name has uppercase letters") return NAME_RULE_DEVIATIONS.uppercase;
  if (reason === "name has special characters ~'!()*") return NAME_RULE_DEVIATIONS.specialCharacters;
  if (reason.endsWith("is a Node.js core module name")) return NAME_RULE_DEVIATIONS.coreModule;
  if (reason === "name starts with a period") return NAME_RULE_DEVIATIONS.leadingPeriod;
  if (reason === "name starts with an underscore") return NAME_RULE_DEVIATIONS.leadingUnderscore;
  if (reason.endsWith("is not a valid package name")) return NAME_RULE_DEVIATIONS.blocked;
  return undefined;
}

/** Names npm refuses whatever their prefix: a package called so cannot carry a run id. */
export function isBlockedName(name: string): boolean {
  return BLOCKED.has(name.toLowerCase());
}

/**
 * Why `name` is not valid for a new npm package (validate-npm-package-name's
 * rules for new packages), or undefined when it is.
 */
export function invalidNameReason(name: string): string | undefined {
  if (name.length === 0) return "name is empty";
  if (name.trim() !== name) return "name has leading or trailing spaces";
  if (name.length > 214) return "name is longer than 214 characters";
  if (name.startsWith(".")) return "name starts with a period";
  if (name.startsWith("_")) return "name starts with an underscore";
  if (BLOCKED.has(name.toLowerCase())) return `${name} is not a valid package name`;
  if (BUILTINS.has(name)) return `${name} is a Node.js core module name`;
  if (name.toLowerCase() !== name) return "name has uppercase letters";
  if (/[~'!()*]/.test(name.split("/").slice(-1)[0] ?? "")) return "name has special characters ~'!()*";
  const scoped = /^@([^/]+)\/([^/]+)$/.exec(name);
  if (name.startsWith("@") && !scoped) return "a scoped name must be @scope/name";
  const parts = scoped ? [scoped[1]!, scoped[2]!] : [name];
  for (const part of parts) {
    if (encodeURIComponent(part) !== part) return "name has characters that are not URL-safe";
    if (part.startsWith(".") || part.startsWith("_")) return "name part starts with a period or an underscore";
  }
  return undefined;
}
