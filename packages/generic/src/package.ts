/**
 * Generic packages: a version holds files of any names and contents. The kit
 * builds one main file, `<name>-<version>.bin`, whose bytes say what the spec
 * was (so two builds of one version with different file trees differ), and
 * each file of the spec's tree as one more file of the version. Large files
 * are generated as a stream, never held in memory.
 *
 * @module
 */
import { contentFromBytes, contentFromChunks, generatedChunks, type Artifact, type PackageSpec } from "@regkit/core";

/** The main file of `name@version`: what `download` fetches. */
export function mainFileName(name: string, version: string): string {
  return `${name}-${version}.bin`;
}

export async function buildGenericPackage(spec: PackageSpec): Promise<Artifact> {
  const files = Object.entries(spec.files ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const describe = JSON.stringify({
    name: spec.name,
    version: spec.version,
    description: spec.description ?? "",
    files: files.map(([path, bytes]) => [path, Buffer.from(bytes).toString("base64")]),
  });
  const content = spec.size
    ? await contentFromChunks(generatedChunks(spec.size, `${spec.name}@${spec.version}`))
    : contentFromBytes(new TextEncoder().encode(`${describe}\n`));
  return {
    name: spec.name,
    version: spec.version,
    filename: mainFileName(spec.name, spec.version),
    content,
    extra: files.map(([filename, bytes]) => ({ filename, content: contentFromBytes(bytes) })),
  };
}
