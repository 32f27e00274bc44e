// The OCI routes of the embedded reference registry: server side, apart
// from the client kit (only @regkit/registry/contract and the kit's shared helpers).
import type { ReferenceFormat } from "@regkit/registry/contract";
import { startOciService } from "./service.js";

/**
 * OCI as the reference registry serves it, GitLab-shaped: the distribution
 * API at `/v2/` and GitLab's token realm at `/jwt/auth`, both at the host
 * root (service.ts). Nothing is served under `/api/v4/projects/:id/packages/oci`:
 * GitLab has no such endpoint. The endpoint handed out is
 * `<origin>/<project path>`, GitLab's `CI_REGISTRY_IMAGE`.
 */
export const ociReference: ReferenceFormat = {
  segment: "oci",
  auth: ["basic"],
  // Tags move when pushed again (GitLab's default, no tag protection rules);
  // `duplicates: "reject"` makes them immutable.
  policies: { duplicates: "allow", duplicateStatus: [] },
  // GitLab's container registry has no per-blob size limit (unlike packages);
  // a positive maxFileSize makes the reference refuse larger blobs with 413 SIZE_INVALID.
  limits: { maxFileSize: 0 },
  routes: [],
  host: startOciService,
  endpoint: (origin, project) => `${origin}/${project.path}`,
};

export { MANIFEST_TYPES, MAX_MANIFEST_BYTES } from "./service.js";
