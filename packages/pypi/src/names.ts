/** PEP 503 normalization: runs of `-`, `_`, `.` become one `-`, lowercase. */
export function normalizeName(name: string): string {
  return name.replace(/[-_.]+/g, "-").toLowerCase();
}

/** The distribution name as it appears in file names (PEP 427 / PEP 625): `-` and `.` become `_`. */
export function fileName(name: string): string {
  return normalizeName(name).replace(/-/g, "_");
}

/** A PEP 508 valid project name. */
export function validName(name: string): boolean {
  return /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i.test(name);
}

/** `pkg-1.0-py3-none-any.whl` / `pkg-1.0.tar.gz` -> { name, version } (name as written). */
export function parseDistFilename(file: string): { name: string; version: string; kind: "wheel" | "sdist" } | undefined {
  if (file.endsWith(".whl")) {
    const parts = file.slice(0, -4).split("-");
    if (parts.length < 5) return undefined;
    return { name: parts[0]!, version: parts[1]!, kind: "wheel" };
  }
  const base = file.endsWith(".tar.gz") ? file.slice(0, -7) : file.endsWith(".zip") ? file.slice(0, -4) : undefined;
  if (!base) return undefined;
  const at = base.lastIndexOf("-");
  if (at <= 0) return undefined;
  return { name: base.slice(0, at), version: base.slice(at + 1), kind: "sdist" };
}
