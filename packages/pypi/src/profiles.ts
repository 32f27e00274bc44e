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
 * The id under which PyPI profiles record that a project page asked for as
 * `application/vnd.pypi.simple.v1+html` comes with a content type that is
 * neither that type nor `text/html` (PEP 691 names the two).
 */
export const HTML_MEDIA_TYPE_DEVIATION = "pypi.html-media-type";

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

/** Basic auth with the user's own name (REGKIT_PERSONAL_USERNAME) and password or token. */
const ownUser = (credential: Credential): string => credential.username ?? "regkit";

/**
 * pypiserver 2 with an htpasswd file (`-P`): the registry URL is the server's
 * root; uploads are POSTed to it (`/`, the legacy API) with the htpasswd
 * user and password as Basic auth (REGKIT_PERSONAL_USERNAME and
 * REGKIT_PERSONAL_TOKEN); the index is `/simple/` (PEP 503 HTML only), files
 * `/packages/<file>`. Reads are open by default (`-a update`); a server run
 * with `-a update,list,download` needs `--set anonymousRead=false`. An
 * invalid password on a read of an open server is not looked at
 * (`invalidTokenRead`). Duplicate files are refused with 409 unless the
 * server runs with `--overwrite` (`--set duplicates=allow`); to a client
 * whose User-Agent contains "twine" the same refusal comes as 400 (pypiserver's
 * `file_upload`, for twine's compatibility with pypi.org; the adapter sees
 * 409, twine 400: packages/pypi/test/drivers.test.ts pins both).
 * No departure from the PyPI rules the kit checks was seen: it redirects
 * other spellings of a name to the normalized one (301), serves PEP 503 HTML
 * to every Accept (PEP 691 allows an HTML-only index) and lists each file
 * with its sha256. It deletes only
 * through its own `:action=remove_pkg` form, which the PyPI protocol does not
 * have: what a run uploads stays (the tests use a throw-away directory).
 */
export const pypiserver: PypiProfile = {
  ...defineProfile<PypiCapability>({
    name: "pypiserver",
    description: "pypiserver 2 with an htpasswd file (uploads need the password; reads open unless anonymousRead=false)",
    tokenKinds: ["personal", "anonymous", "invalid"],
    personalUsername: "required",
    capabilities: { search: false, listVersions: true, delete: false, distTags: false, anonymousRead: true, invalidTokenRead: true, pep691: false },
    policies: { duplicates: "reject", duplicateStatus: [409] },
    limits: { maxFileSize: 0 },
    authHeaders: (c) => basic({ basicUser: ownUser })(c),
    // None recorded: see above (checked by conformance.pypiserver.test.ts, where a deviation would fail the run).
    deviations: {},
  }),
  uploadPath: "/",
  simplePath: "/simple",
  basicUser: ownUser,
};

/** Where devpi's behaviour below was seen: the pinned version, started by the kit's own test. */
const devpiObserved = "devpi-server 6.20.3 (pinned in packages/pypi/ci/install-tools.sh), observed by packages/pypi/test/conformance.devpi.test.ts";

/**
 * devpi-server 6, one index of one user: the registry URL is the index,
 * `<server>/<user>/<index>`; uploads are POSTed to it (`<index>/`, the legacy
 * API twine speaks) with the user's name and password (or a devpi-tokens
 * token) as Basic auth (REGKIT_PERSONAL_USERNAME, REGKIT_PERSONAL_TOKEN); the
 * index is `<index>/+simple/` (PEP 503 HTML and PEP 691 JSON), files are
 * served from `<index>/+f/<hash path>/<file>` (declared in extraRoutes: it is
 * not PyPI's layout). Indexes are readable by anyone, and an invalid password
 * on a read is not looked at (`invalidTokenRead`). Recorded deviation:
 * `pypi.html-media-type` (the project page asked for as
 * `application/vnd.pypi.simple.v1+html` comes as `text_html`). A non-volatile index
 * (`volatile=False`, a release index) refuses an existing file with 409;
 * `--set duplicates=allow` for a volatile one. devpi deletes through its own
 * DELETE of a version, not part of the PyPI protocol: what a run uploads stays.
 */
export const devpi: PypiProfile = {
  ...defineProfile<PypiCapability>({
    name: "devpi",
    description: "devpi-server 6, one user's index (`<server>/<user>/<index>`; non-volatile, readable by anyone)",
    tokenKinds: ["personal", "anonymous", "invalid"],
    personalUsername: "required",
    // An invalid password on a read of a public index is not looked at: the read is served
    // (observed: GET <index>/+simple/<name>/ with a wrong Basic password -> 200).
    capabilities: { search: false, listVersions: true, delete: false, distTags: false, anonymousRead: true, invalidTokenRead: true, pep691: true },
    policies: { duplicates: "reject", duplicateStatus: [409] },
    limits: { maxFileSize: 0 },
    authHeaders: (c) => basic({ basicUser: ownUser })(c),
    // devpi's layout, not PyPI's: PEP 503 lets an index put its pages and files
    // at any URL, so these are where devpi keeps them, not departures from a rule.
    extraRoutes: [
      { method: "GET", path: "/+simple", summary: "project list (devpi's layout: <index>/+simple/)" },
      { method: "GET", path: "/+simple/:name", summary: "project page (devpi's layout: <index>/+simple/<name>/; HTML or PEP 691 JSON)" },
      { method: "GET", path: "/+f/*path", summary: "file download (devpi's layout: <index>/+f/<hash path>/<file>, linked from the project page)" },
      // pip percent-encodes the `+` of the link it follows (the same route as above).
      { method: "GET", path: "/%2Bf/*path", summary: "file download, as pip requests it (`+` percent-encoded)" },
    ],
    deviations: {
      [HTML_MEDIA_TYPE_DEVIATION]: {
        summary:
          "asked for `application/vnd.pypi.simple.v1+html` alone, the project page answers HTML with `Content-Type: text_html` (no such media type; PEP 691 wants `application/vnd.pypi.simple.v1+html` or `text/html`); `text/html`, PEP 691 JSON and pip's Accept header get the right type",
        source: `${devpiObserved}: GET <index>/+simple/<name>/ with Accept: application/vnd.pypi.simple.v1+html -> 200, Content-Type: text_html`,
      },
    },
  }),
  uploadPath: "/",
  simplePath: "/+simple",
  basicUser: ownUser,
};

export const pypiProfiles: Readonly<Record<string, PypiProfile>> = { gitlab, pypi, pypiserver, devpi };
