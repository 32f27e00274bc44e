/**
 * Real chart archives, as `helm package` lays them out: a gzip tar whose
 * entries sit under `<name>/` (Chart.yaml first, values.yaml, a template),
 * the spec's files under `<name>/files/`, and for a sized spec a padding file
 * generated from a seed and streamed (gzip level 0), never held in memory.
 * Archives are reproducible: the same spec gives the same bytes.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { constants } from "node:zlib";
import { type Artifact, type PackageSpec, type TarEntry, contentFromBytes, contentFromChunks, generatedChunks, gzipBytes, gzipStream, tarStream } from "@regkit/core";
import { type ChartDependency, type ChartMetadata, chartFileName, chartYaml } from "./chart.js";

/** What a chart may carry beyond the spec (the arbitraries generate them). */
export interface ChartExtras {
  readonly appVersion?: string | undefined;
  readonly keywords?: readonly string[] | undefined;
  readonly dependencies?: readonly ChartDependency[] | undefined;
  /** `library` charts have no templates of their own. */
  readonly type?: "application" | "library" | undefined;
}

const VALUES = "# Values of a chart regkit built to test a registry.\nreplicaCount: 1\n";
// A template helm lint renders: a ConfigMap named after the release.
const TEMPLATE = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-regkit
data:
  chart: {{ .Chart.Name | quote }}
  version: {{ .Chart.Version | quote }}
  replicas: {{ .Values.replicaCount | quote }}
`;

/** The Chart.yaml a spec gets. */
export function chartMetadataOf(spec: PackageSpec, extras: ChartExtras = {}): ChartMetadata {
  return {
    apiVersion: "v2",
    name: spec.name,
    version: spec.version,
    description: spec.description ?? `regkit conformance chart ${spec.name}`,
    type: extras.type ?? "application",
    appVersion: extras.appVersion ?? spec.version,
    keywords: extras.keywords,
    dependencies: extras.dependencies,
  };
}

/** The chart archive of `spec` (with `extras` in its Chart.yaml). */
export async function buildChart(spec: PackageSpec, extras: ChartExtras = {}): Promise<Artifact> {
  const encoder = new TextEncoder();
  const root = spec.name;
  const metadata = chartMetadataOf(spec, extras);
  const entries: TarEntry[] = [
    { path: `${root}/Chart.yaml`, bytes: encoder.encode(chartYaml(metadata)) },
    { path: `${root}/values.yaml`, bytes: encoder.encode(VALUES) },
  ];
  if (metadata.type !== "library") entries.push({ path: `${root}/templates/configmap.yaml`, bytes: encoder.encode(TEMPLATE) });
  for (const [path, bytes] of Object.entries(spec.files ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    entries.push({ path: `${root}/files/${path}`, bytes });
  }
  const filename = chartFileName(spec.name, spec.version);
  if (!spec.size) {
    return { name: spec.name, version: spec.version, filename, content: contentFromBytes(await gzipBytes(tarStream(entries), constants.Z_BEST_COMPRESSION)) };
  }
  const seed = createHash("sha1").update(`${spec.name}@${spec.version}`).digest().readUInt32LE(0);
  const size = Math.max(0, spec.size - 4096);
  entries.push({ path: `${root}/files/regkit-padding.bin`, size, chunks: generatedChunks(size, seed) });
  return { name: spec.name, version: spec.version, filename, content: await contentFromChunks(gzipStream(() => tarStream(entries), constants.Z_NO_COMPRESSION)) };
}

/** The kit's `build`: a chart archive for a spec. */
export async function buildHelmPackage(spec: PackageSpec): Promise<Artifact> {
  return buildChart(spec);
}
