import { citeSource, defineProfile, gitlabBasicAuth, gitlabVisibility, type Credential, type Profile, type TokenKind } from "@regkit/core";
import { ociGitLabFacts as facts } from "./gitlab.js";

/**
 * An OCI profile. Its own capabilities:
 * - `referrers`: the distribution spec v1.1 referrers API (`GET /v2/<name>/referrers/<digest>`);
 *   without it clients fall back to the referrers tag schema (`sha256-<hex>` tags), which oci.referrers checks instead.
 * - `deleteTag`: `DELETE /v2/<name>/manifests/<tag>` removes a tag (the spec makes it optional).
 * - `blobRange`: `Range` requests on blobs answer 206 with the bytes asked for.
 */
export type OciProfile = Profile<"referrers" | "deleteTag" | "blobRange"> & {
  /**
   * The token kinds allowed to delete (GitLab: never a deploy token); absent: every write kind.
   * oci.delete checks that the others are refused.
   */
  readonly deleteKinds?: readonly TokenKind[] | undefined;
};

/** Deviation id: `tags/list` ignores `n` and `last` (no pagination), or lists tags out of lexical order. */
export const TAGS_PAGINATION = "oci.tags-pagination";
/** Deviation id: a chunk whose `Content-Range` does not continue the upload is taken instead of refused with 416. */
export const CHUNK_ORDER = "oci.chunk-order";

/**
 * The realm takes Basic credentials; every kind travels that way (the first
 * registry request carries them too: a registry with Basic auth takes them
 * there, one with token auth answers the Bearer challenge the adapter follows).
 */
function basic(credential: Credential): Record<string, string> {
  return gitlabBasicAuth(credential);
}

const gitlabAuth = `${citeSource(facts.registryCredentials.source)}; ${citeSource(facts.tokenRealm.source)}`;

/**
 * GitLab's container registry for a project: images under
 * `<registry host>/<group>/<project>[/<image>]`, tokens from `/jwt/auth` on
 * the GitLab host for a personal access token (any username), a deploy token
 * (its own username) or `gitlab-ci-token` with a job token; tags move when
 * pushed again (unless tag protection says otherwise: the `immutableTags`
 * setting); no `_catalog` for project members; deletes by digest per
 * GitLab's rules.
 */
export const gitlab: OciProfile = {
  ...defineProfile<"referrers" | "deleteTag" | "blobRange">({
  name: "gitlab",
  description: `GitLab's container registry for a project (also the embedded reference registry): Bearer tokens from ${facts.tokenRealm.value.path} for personal, deploy and job tokens (${gitlabAuth}); tags move when pushed again; no _catalog for project members`,
  tokenKinds: ["personal", "deploy", "job", "readonly", "anonymous", "invalid"],
  capabilities: { search: false, listVersions: true, delete: true, distTags: false, anonymousRead: false, referrers: false, deleteTag: true, blobRange: true },
  policies: { duplicates: "allow", duplicateStatus: [] },
  limits: { maxFileSize: 0 },
  extraRoutes: [
    { method: "GET", path: facts.tokenRealm.value.path, summary: `GitLab's token realm (${citeSource(facts.tokenRealm.source)})` },
    // On GitLab the realm is on the GitLab host, another origin than the registry's: its requests are recorded by full URL.
    { method: "GET", path: `/:scheme/:host${facts.tokenRealm.value.path}`, summary: `GitLab's token realm on the GitLab host (${citeSource(facts.tokenRealm.source)})` },
  ],
  settings: {
    // A bad password at the realm is a 401, public project or not (JwtController#authenticate_project_or_user).
    visibility: gitlabVisibility({ invalidBasicReadsAsAnonymous: false }),
    immutableTags: {
      type: "boolean",
      description: "the project has a tag protection rule making the tags regkit pushes immutable: pushing a tag again must be refused",
      default: false,
      apply(value, draft) {
        draft.policies.duplicates = value === true ? "reject" : "allow";
      },
    },
  },
  authHeaders: basic,
  }),
  // Deletes need a Maintainer's token or the project's own job token, never a deploy token.
  deleteKinds: ["personal", "job"],
};

const distributionSource = "the distribution project's registry 2.8 (Debian's docker-registry), observed by packages/oci/test/conformance.distribution.test.ts";

/**
 * Debian's `docker-registry` (the distribution project's server, 2.8) with
 * htpasswd (Basic) or token auth: one user (`REGKIT_PERSONAL_USERNAME`, its
 * password in `REGKIT_PERSONAL_TOKEN`), `_catalog` on, deletes only when
 * `storage.delete.enabled` is set (the tests' config sets it), no referrers
 * API (the tag schema fallback is what clients use), tags that move.
 */
export const distribution: OciProfile = defineProfile<"referrers" | "deleteTag" | "blobRange">({
  name: "distribution",
  description: "the distribution project's registry (Debian docker-registry 2.8) with htpasswd or token auth and storage.delete.enabled: _catalog on, no referrers API, tags move",
  tokenKinds: ["personal", "anonymous", "invalid"],
  personalUsername: "required",
  capabilities: { search: true, listVersions: true, delete: true, distTags: false, anonymousRead: false, referrers: false, deleteTag: false, blobRange: true },
  policies: { duplicates: "allow", duplicateStatus: [] },
  limits: { maxFileSize: 0 },
  deviations: {
    [TAGS_PAGINATION]: { summary: "tags/list ignores n and last and sends every tag at once, in no particular order, with no Link header", source: distributionSource },
    [CHUNK_ORDER]: { summary: "a PATCH whose Content-Range skips bytes is accepted (202) and appended where the upload ends, where the spec requires 416", source: distributionSource },
  },
  authHeaders: basic,
});

export const ociProfiles: Readonly<Record<string, OciProfile>> = { gitlab, distribution };
