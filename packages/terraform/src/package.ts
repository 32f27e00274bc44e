/**
 * Real Terraform modules: a gzipped tarball with `main.tf` at its root (an
 * output and nothing else: no providers, so `terraform init` needs nothing
 * but the registry), a README, the spec's extra files under `files/`, and for
 * a large package a generated `blob.bin`. Reproducible: entries sorted by
 * path, fixed mode and mtime, stored (level 0) gzip with no timestamp, so the
 * same tree always makes the same bytes; the tofu driver relies on that to
 * compare what it installed with what was published ({@link moduleArchive}).
 *
 * @module
 */
import { type Artifact, type PackageSpec, type TarEntry, contentFromChunks, generatedChunks, gzipStream, tarStream } from "@regkit/core";
import { MODULE_SYSTEM } from "./profiles.js";

/** A regkit package name `<module>/<system>` split into its two parts (`<name>` alone: the default system). */
export function splitModuleName(name: string): { readonly module: string; readonly system: string } {
  const slash = name.lastIndexOf("/");
  return slash < 0 ? { module: name, system: MODULE_SYSTEM } : { module: name.slice(0, slash), system: name.slice(slash + 1) };
}

/** The file name GitLab stores an upload under: `<module>-<system>-<version>.tgz`. */
export function archiveFileName(name: string, version: string): string {
  const { module, system } = splitModuleName(name);
  return `${module}-${system}-${version}.tgz`;
}

/** An HCL string literal. */
function hclString(text: string): string {
  return JSON.stringify(text).replaceAll("${", "$${").replaceAll("%{", "%%{");
}

/**
 * The module archive of a file tree: entries sorted by path, stored gzip.
 * Given the files tofu extracted, it rebuilds the very bytes that were published.
 */
export function moduleArchive(entries: readonly TarEntry[]): () => AsyncIterable<Uint8Array> {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return gzipStream(() => tarStream(sorted), 0);
}

/** A Terraform module for a spec, streamed when large. */
export async function buildTerraformPackage(spec: PackageSpec): Promise<Artifact> {
  const encoder = new TextEncoder();
  const main = [
    `# A module regkit published to check a registry: ${spec.name} ${spec.version}.`,
    `output "regkit" {`,
    `  value = ${hclString(`${spec.name}@${spec.version}`)}`,
    `}`,
    "",
  ].join("\n");
  const entries: TarEntry[] = [
    { path: "main.tf", bytes: encoder.encode(main) },
    { path: "README.md", bytes: encoder.encode(`# ${spec.name}\n\n${spec.description ?? "A module regkit published."}\n`) },
  ];
  for (const [path, bytes] of Object.entries(spec.files ?? {})) entries.push({ path: `files/${path}`, bytes });
  if (spec.size) entries.push({ path: "blob.bin", size: spec.size, chunks: generatedChunks(spec.size, spec.name.length) });
  const content = await contentFromChunks(moduleArchive(entries));
  return { name: spec.name, version: spec.version, filename: archiveFileName(spec.name, spec.version), content };
}
