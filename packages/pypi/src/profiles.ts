import { defineProfile, type Credential, type Profile } from "@regkit/core";
import { normalizeName } from "./names.js";

/** Where a PyPI-style registry takes uploads and serves its simple index, relative to the target URL. */
export interface PypiProfile extends Profile {
  /** Upload URL path (legacy API), relative to the registry URL: GitLab `""`, a pypiserver/devpi-like `/legacy/`. */
  readonly uploadPath: string;
  /** Simple index path: `/simple`. */
  readonly simplePath: string;
  /** Basic username per token kind. */
  basicUser(credential: Credential): string;
}

function basic(profile: Pick<PypiProfile, "basicUser">) {
  return (credential: Credential): Record<string, string> =>
    credential.token ? { authorization: `Basic ${Buffer.from(`${profile.basicUser(credential)}:${credential.token}`).toString("base64")}` } : {};
}

const GB = 1024 ** 3;

const gitlabUser = (c: Credential): string => (c.kind === "job" ? "gitlab-ci-token" : c.kind === "deploy" || c.kind === "readonly" ? (c.username ?? "") : "__token__");

/**
 * GitLab's PyPI registry (`/api/v4/projects/:id/packages/pypi`): uploads are
 * POSTed to the endpoint itself and must carry `sha256_digest`; the index is
 * `<endpoint>/simple/<name>`, files `<endpoint>/files/<sha256>/<file>`. Basic
 * auth: any username (`__token__`) with a personal token, the deploy-token
 * username, `gitlab-ci-token` with a job token. Duplicate files are refused
 * with 400; 3 GB limit. No search and no delete through the PyPI protocol
 * (cleanup uses GitLab's Packages API).
 */
export const gitlab: PypiProfile = {
  ...defineProfile({
    name: "gitlab",
    description: "GitLab Package Registry, PyPI endpoint of a project (also the embedded reference registry)",
    tokenKinds: ["personal", "deploy", "job", "readonly", "anonymous", "invalid"],
    capabilities: { search: false, listVersions: true, delete: false, distTags: false, anonymousRead: false },
    policies: { duplicates: "reject", duplicateStatus: [400] },
    limits: { maxFileSize: 3 * GB },
    authHeaders: (c) => basic({ basicUser: gitlabUser })(c),
    // No delete in GitLab's PyPI protocol: cleanup goes through the Packages API.
    packagesApi: { type: "pypi", name: (name) => name, same: (listed, name) => normalizeName(listed) === normalizeName(name) },
  }),
  uploadPath: "",
  simplePath: "/simple",
  basicUser: gitlabUser,
};

/**
 * Any PEP 503 / PEP 691 index with the legacy upload API at `<registry>/legacy/`
 * and the index at `<registry>/simple/` (PyPI's own layout; pypiserver and devpi
 * differ only in paths: override them). One user token as `__token__`.
 */
export const pypi: PypiProfile = {
  ...defineProfile({
    name: "pypi",
    description: "A PEP 503/691 index with the legacy upload API (PyPI layout: /legacy/ and /simple/)",
    tokenKinds: ["personal", "anonymous", "invalid"],
    capabilities: { search: false, listVersions: true, delete: false, distTags: false, anonymousRead: true },
    policies: { duplicates: "reject", duplicateStatus: [] },
    limits: { maxFileSize: 0 },
    authHeaders: (c) => basic({ basicUser: () => "__token__" })(c),
  }),
  uploadPath: "/legacy/",
  simplePath: "/simple",
  basicUser: () => "__token__",
};

export const pypiProfiles: Readonly<Record<string, PypiProfile>> = { gitlab, pypi };
