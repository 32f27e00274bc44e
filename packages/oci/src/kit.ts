import { defineKit, factList, relativePath, type Exchange, type RouteTemplate } from "@regkit/core";
import { ociArbitraries } from "./arbitraries.js";
import { bearerChallenge } from "./auth.js";
import { connectOci } from "./client.js";
import { ociDrivers } from "./drivers.js";
import { ociGitLabFacts } from "./gitlab.js";
import { buildOciPackage } from "./package.js";
import { ociProfiles } from "./profiles.js";
import { ociScenarios } from "./scenarios.js";

/** The distribution spec v1.1's route table (spec.md, "Endpoints"), `<name>` written as `{name}`. */
const SPEC_ROUTES: readonly { method: string; rest: string; summary: string }[] = [
  { method: "GET", rest: "manifests/:reference", summary: "end-3: pull a manifest" },
  { method: "HEAD", rest: "manifests/:reference", summary: "end-3: check a manifest" },
  { method: "PUT", rest: "manifests/:reference", summary: "end-7: push a manifest" },
  { method: "DELETE", rest: "manifests/:reference", summary: "end-9: delete a manifest (by digest) or a tag" },
  { method: "GET", rest: "blobs/:digest", summary: "end-2: pull a blob" },
  { method: "HEAD", rest: "blobs/:digest", summary: "end-2: check a blob" },
  { method: "DELETE", rest: "blobs/:digest", summary: "end-10: delete a blob" },
  { method: "POST", rest: "blobs/uploads", summary: "end-4a/4b/11: start an upload, monolithic POST, or mount (?mount=&from=)" },
  { method: "PATCH", rest: "blobs/uploads/:session", summary: "end-5: upload a chunk" },
  { method: "PUT", rest: "blobs/uploads/:session", summary: "end-6: close an upload (?digest=)" },
  { method: "GET", rest: "blobs/uploads/:session", summary: "end-13: upload status (Range)" },
  { method: "DELETE", rest: "blobs/uploads/:session", summary: "cancel an upload" },
  { method: "GET", rest: "tags/list", summary: "end-8a/8b: list tags (?n=&last=)" },
  { method: "GET", rest: "referrers/:digest", summary: "end-12a/12b: referrers (?artifactType=)" },
];

/** Repository names have one or more `/`-separated components: the routes are spelled out for up to this many. */
const MAX_NAME_COMPONENTS = 12;

/**
 * The OCI distribution spec's routes, as request paths appear (`/v2/<name>/...`,
 * the name's components spelled out one by one, since a name may hold
 * slashes), plus `/v2/` (end-1) and distribution's `_catalog` extension.
 */
export const ociRoutes: readonly RouteTemplate[] = [
  { method: "GET", path: "/v2/", summary: "end-1: API version check" },
  { method: "GET", path: "/v2/_catalog", summary: "repository catalog (the distribution project's extension, not in the OCI spec)" },
  ...Array.from({ length: MAX_NAME_COMPONENTS }, (_, i) => i + 1).flatMap((n) => {
    const name = Array.from({ length: n }, (_, j) => `:name${j + 1}`).join("/");
    return SPEC_ROUTES.map((r) => ({ method: r.method, path: `/v2/${name}/${r.rest}`, summary: r.summary }));
  }),
];

/**
 * The token endpoint of the registry token flow, at the address the registry
 * announced: each realm a Bearer challenge in the run's answers named, as
 * requests to it are recorded (its path when on the registry's origin, its
 * full URL otherwise). The realm is part of the protocol wherever the registry
 * puts it, so requests to it are standard; requests to anything else on that
 * host are not, which is why only the realm's exact path is added.
 */
export function ociAnnouncedRoutes(exchanges: readonly Exchange[]): RouteTemplate[] {
  const out = new Map<string, RouteTemplate>();
  for (const e of exchanges) {
    const realm = bearerChallenge(e.responseHeaders["www-authenticate"])?.params.realm;
    if (!realm || !e.url.endsWith(e.path)) continue;
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      continue;
    }
    // The target's registry URL, as the exchange's path was made relative to it.
    const base = e.url.slice(0, e.url.length - e.path.length) || e.url;
    const path = relativePath(base, `${url.origin}${url.pathname}`);
    if (!out.has(path)) out.set(path, { method: "GET", path, summary: `the token endpoint: the realm the registry's Bearer challenge announced (${url.origin}${url.pathname})` });
  }
  return [...out.values()];
}

const RUN_PREFIX = "regkit-";

/** The OCI kit. */
export const ociKit = defineKit({
  format: "oci",
  title: "OCI",
  description:
    "The OCI distribution spec v1.1 (container images and artifacts): chunked and monolithic blob uploads, manifests by tag and digest, indexes, artifacts and referrers, cross-repository mounts, tag lists and their pagination, deletes, the spec's error codes, and the registry token flow. A package is a repository, a version is a tag.",
  profiles: ociProfiles,
  defaultProfile: "gitlab",
  // GitLab's container registry has no per-blob limit like the Package Registry's (./gitlab.ts).
  instanceLimit: 0,
  routes: ociRoutes,
  announcedRoutes: ociAnnouncedRoutes,
  arbitraries: ociArbitraries,
  packageName: (runId, base) => `${RUN_PREFIX}${runId}-${base}`.toLowerCase(),
  ownsName: (runId, name) => name.startsWith(`${RUN_PREFIX}${runId}-`.toLowerCase()),
  build: buildOciPackage,
  compareVersions: (a, b) => (a === b ? 0 : a < b ? -1 : 1),
  connect: connectOci,
  drivers: ociDrivers,
  scenarios: ociScenarios,
  gitlabFacts: factList(ociGitLabFacts),
});
