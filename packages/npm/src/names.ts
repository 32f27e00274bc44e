/** `@scope/name` -> `@scope%2fname`, as npm puts a name in a registry path. */
export function encodeName(name: string): string {
  return name.startsWith("@") ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name);
}

/** The file part of a tarball name: `@scope/pkg` -> `pkg`. */
export function basename(name: string): string {
  return name.startsWith("@") ? name.slice(name.indexOf("/") + 1) : name;
}

/** `pkg-1.0.0.tgz`. */
export function tarballName(name: string, version: string): string {
  return `${basename(name)}-${version}.tgz`;
}

const BLOCKED = new Set(["node_modules", "favicon.ico"]);
// Node's core modules: npm refuses them as new package names.
const BUILTINS = new Set([
  "assert", "buffer", "child_process", "cluster", "console", "constants", "crypto", "dgram", "dns", "domain", "events",
  "fs", "http", "https", "module", "net", "os", "path", "process", "punycode", "querystring", "readline", "repl",
  "stream", "string_decoder", "sys", "timers", "tls", "tty", "url", "util", "vm", "zlib", "http2", "inspector",
  "perf_hooks", "worker_threads", "async_hooks", "trace_events", "v8", "wasi",
]);

/** Rules validate-npm-package-name applies to new packages only (old ones may break them). */
export const NEW_PACKAGE_RULES = new Set([
  "name is longer than 214 characters",
  "name has uppercase letters",
  "name has special characters ~'!()*",
  "core-module",
]);

/** Whether a reason from {@link invalidNameReason} is one of the new-packages-only rules. */
export function isNewPackageRule(reason: string): boolean {
  return NEW_PACKAGE_RULES.has(reason) || reason.endsWith("is a Node.js core module name");
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
