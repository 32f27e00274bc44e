import { contentFromBytes, contentFromChunks, generatedChunks, type Artifact, type PackageSpec } from "@regkit/core";

/** A real package of the format for a spec (replace: the format's archive, streamed when large). */
export async function buildTerraformPackage(spec: PackageSpec): Promise<Artifact> {
  const filename = `${spec.name}-${spec.version}.bin`;
  const content = spec.size ? await contentFromChunks(generatedChunks(spec.size, spec.name.length)) : contentFromBytes(new TextEncoder().encode(JSON.stringify({ ...spec, files: Object.keys(spec.files ?? {}) })));
  return { name: spec.name, version: spec.version, filename, content };
}
