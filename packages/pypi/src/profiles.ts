import { citeSource, defineProfile, gitlabBasicAuth, gitlabBasicUser, type Credential, type Profile, gitlabVisibility } from "@regkit/core";
import { pypiGitLabFacts as facts } from "./gitlab.js";
import { normalizeName } from "./names.js";

/** The PyPI kit's own capability: the simple index answers PEP 691 JSON to clients that ask for it. */
export type PypiCapability = "pep691";

/** Where a PyPI-style registry takes uploads and serves its simple index, relative to the target URL. */
export interface PypiProfile extends Profile<PypiCapability> {
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

/** The id under which PyPI profiles record that other spellings of a name do not reach its project page. */
export const NAME_SPELLINGS_DEVIATION = "pypi.name-spellings";

/**
 * GitLab's PyPI registry (`/api/v4/projects/:id/packages/pypi`), as
 * pypiGitLabFacts describes it: uploads are POSTed to the endpoint itself
 * (201; `sha256_digest` optional and stored as declared); the index is
 * `<endpoint>/simple/<name>` (HTML; PEP 691 JSON only with the
 * `pypi_pep_691_json` feature flag: setting `pep691Json`), files
 * `<endpoint>/files/<sha256>/<file>`. Basic auth: any username with a personal
 * or deploy token (GitLab reads only the password), `gitlab-ci-token` with a
 * job token. Duplicate files are refused with 400; 3 GiB default limit (400,
 * or 413 from Workhorse). No search and no delete through the PyPI protocol
 * (cleanup uses GitLab's Packages API, which needs a Maintainer).
 */
export const gitlab: PypiProfile = {
  ...defineProfile<PypiCapability>({
    name: "gitlab",
    description: "GitLab Package Registry, PyPI endpoint of a project (also the embedded reference registry)",
    tokenKinds: ["personal", "deploy", "job", "readonly", "anonymous", "invalid"],
    capabilities: { search: false, listVersions: true, delete: false, distTags: false, anonymousRead: false, invalidTokenRead: false, pep691: facts.pep691Flag.value.default },
    policies: { duplicates: facts.duplicateFile.value.policy, duplicateStatus: [facts.duplicateFile.value.status] },
    limits: { maxFileSize: facts.maxFileSize.value },
    authHeaders: gitlabBasicAuth,
    // No delete in GitLab's PyPI protocol: cleanup goes through the Packages API.
    packagesApi: { type: facts.noDelete.value.packageType, name: (name) => name, same: (listed, name) => normalizeName(listed) === normalizeName(name) },
    deviations: {
      [NAME_SPELLINGS_DEVIATION]: {
        summary: "the project page is found only under the normalized name in any case: `foo_bar` and `foo.bar` give 404 (or GitLab's forward to pypi.org), with no redirect to `foo-bar`",
        source: citeSource(facts.nameLookup.source),
      },
    },
    settings: {
      visibility: gitlabVisibility({ invalidBasicReadsAsAnonymous: true }),
      pep691Json: {
        type: "boolean",
        description: `GitLab feature flag ${facts.pep691Flag.value.flag} (18.10+, off by default): the simple index answers PEP 691 JSON to clients that ask for it`,
        default: facts.pep691Flag.value.default,
        apply(value, draft) {
          draft.capabilities.pep691 = value === true;
        },
      },
    },
  }),
  uploadPath: "",
  simplePath: "/simple",
  basicUser: gitlabBasicUser,
};

/**
 * Any PEP 503 / PEP 691 index with the legacy upload API at `<registry>/legacy/`
 * and the index at `<registry>/simple/` (PyPI's own layout; pypiserver and devpi
 * differ only in paths: override them). One user token as `__token__`. PEP 691
 * JSON is expected (`--set pep691=false` for an HTML-only index such as
 * pypiserver).
 */
export const pypi: PypiProfile = {
  ...defineProfile<PypiCapability>({
    name: "pypi",
    description: "A PEP 503/691 index with the legacy upload API (PyPI layout: /legacy/ and /simple/)",
    tokenKinds: ["personal", "anonymous", "invalid"],
    capabilities: { search: false, listVersions: true, delete: false, distTags: false, anonymousRead: true, pep691: true },
    policies: { duplicates: "reject", duplicateStatus: [] },
    limits: { maxFileSize: 0 },
    authHeaders: (c) => basic({ basicUser: () => "__token__" })(c),
  }),
  uploadPath: "/legacy/",
  simplePath: "/simple",
  basicUser: () => "__token__",
};

export const pypiProfiles: Readonly<Record<string, PypiProfile>> = { gitlab, pypi };
