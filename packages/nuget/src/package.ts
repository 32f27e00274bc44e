import { createHash } from "node:crypto";
import { contentFromChunks, findZipEntry, generatedChunks, zipStream, type Artifact, type PackageSpec, type ZipEntry } from "@regkit/core";
import { normalizeNuGetVersion } from "./version.js";

const encoder = new TextEncoder();
const xml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function renderNuspec(id: string, version: string, description: string): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>${xml(id)}</id>
    <version>${xml(version)}</version>
    <authors>regkit</authors>
    <description>${xml(description)}</description>
    <packageTypes><packageType name="Dependency" /></packageTypes>
  </metadata>
</package>
`;
}

/** The flat container's name of a version's package: `<lower id>.<lower normalized version>.nupkg` (PackageBaseAddress/3.0.0). */
export function nupkgFileName(id: string, version: string): string {
  return `${id.toLowerCase()}.${(normalizeNuGetVersion(version) ?? version).toLowerCase()}.nupkg`;
}

/**
 * A .nupkg, the one file a NuGet version is published with (its .nuspec
 * travels inside; feeds that serve it separately extract it), named as the
 * flat container names it ({@link nupkgFileName}): the nuspec first
 * (registries read it from the start of the stream), the OPC parts, a lib
 * placeholder. No `extra`: there is no other file to publish.
 */
export async function buildNupkg(spec: PackageSpec): Promise<Artifact> {
  const id = spec.name;
  const description = spec.description ?? `regkit conformance package ${id}`;
  const psmdcp = createHash("md5").update(`${id}@${spec.version}`).digest("hex");
  const seed = createHash("sha1").update(`${id}@${spec.version}`).digest().readUInt32LE(0);
  const entries: ZipEntry[] = [
    { path: `${id}.nuspec`, bytes: encoder.encode(renderNuspec(id, spec.version, description)) },
    { path: "lib/netstandard2.0/_._", bytes: new Uint8Array(0) },
    ...Object.entries(spec.files ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([path, bytes]) => ({ path: `content/${path}`, bytes })),
    ...(spec.size ? [{ path: "content/regkit-padding.bin", chunks: generatedChunks(Math.max(0, spec.size - 4096), seed) }] : []),
    {
      path: "_rels/.rels",
      bytes: encoder.encode(`<?xml version="1.0" encoding="utf-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/${xml(id)}.nuspec" Id="R${psmdcp.slice(0, 16)}" /><Relationship Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="/package/services/metadata/core-properties/${psmdcp}.psmdcp" Id="R${psmdcp.slice(16)}" /></Relationships>`),
    },
    {
      path: `package/services/metadata/core-properties/${psmdcp}.psmdcp`,
      bytes: encoder.encode(`<?xml version="1.0" encoding="utf-8"?><coreProperties xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"><dc:creator>regkit</dc:creator><dc:description>${xml(description)}</dc:description><dc:identifier>${xml(id)}</dc:identifier><version>${xml(spec.version)}</version></coreProperties>`),
    },
    {
      path: "[Content_Types].xml",
      bytes: encoder.encode(`<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" /><Default Extension="psmdcp" ContentType="application/vnd.openxmlformats-package.core-properties+xml" /><Default Extension="nuspec" ContentType="application/octet" /><Default Extension="txt" ContentType="application/octet" /><Default Extension="json" ContentType="application/octet" /><Default Extension="bin" ContentType="application/octet" /><Default Extension="_" ContentType="application/octet" /></Types>`),
    },
  ];
  return { name: id, version: spec.version, filename: nupkgFileName(id, spec.version), content: await contentFromChunks(() => zipStream(entries)) };
}

/**
 * Reads the root `.nuspec` from the first bytes of a nupkg (a push's head,
 * before the rest has arrived): NuGet takes only a nuspec at the zip's root.
 */
export function readNuspec(head: Uint8Array): string | undefined {
  const entry = findZipEntry(head, (p) => !p.includes("/") && p.toLowerCase().endsWith(".nuspec"));
  return entry && Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength).toString("utf8");
}

/** id and version of a nuspec document. */
export function nuspecIdentity(nuspec: string): { id: string; version: string } | undefined {
  // Linear patterns (no lazy match between optional spaces): a hostile nuspec must not hang the kit.
  const id = /<id>([^<]*)<\/id>/.exec(nuspec)?.[1]?.trim();
  const version = /<version>([^<]*)<\/version>/.exec(nuspec)?.[1]?.trim();
  return id && version ? { id, version } : undefined;
}
