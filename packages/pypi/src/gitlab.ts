/**
 * GitLab's PyPI registry as GitLab's own source defines it: every behaviour the
 * gitlab profile, the reference registry's PyPI routes and the scenarios rely
 * on, written once with where GitLab defines it. Shared behaviours (the 401
 * realm, Basic usernames, the `gitlab-ci-token` rule, bad credentials) are
 * core's GITLAB_FACTS.
 *
 * Read from the public mirror `gitlabhq/gitlabhq`. `lib/api/pypi_packages.rb`
 * was read at a commit that already has the `pypi_pep_691_json` flag
 * (milestone 18.10), so it is GitLab 18.10 or later; the other files at the
 * commits given. Line numbers are approximate (≈).
 *
 * @module
 */
import { defineGitLabFacts } from "@regkit/core";

const PINNED = "packages/pypi/test/gitlab-facts.test.ts";
const API = { file: "lib/api/pypi_packages.rb", version: "GitLab 18.10+ source, commit 0739b8b" };
const at = (commit: string): string => `GitLab source, commit ${commit}`;

/** GitLab's `package_name_regex` (lib/gitlab/regex/packages.rb); `(?=(…))\1` stands for Ruby's atomic groups. */
const PACKAGE_NAME = /^@?(?=((?:[\w\-.+]*\/)*[\w\-.]+))\1@?(?=((?:[\w\-.+]*\/)*[\w\-.]*))\2$/;

/** GitLab's `pypi_version_regex` (packaging 16.7's, case-insensitive). */
const PYPI_VERSION =
  /^v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?[0-9]*)?(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?(?:[-_.]?dev[-_.]?[0-9]*)?(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?$/i;

export const pypiGitLabFacts = defineGitLabFacts("pypi", {
  uploadStatus: {
    behaviour: "uploading a file (twine upload, the legacy API's POST to the endpoint itself)",
    gitlab: '201 Created, body {"message":"201 Created"}',
    value: 201,
    source: { ...API, at: "post (upload): created! (≈448); desc success code: 201" },
    pinnedBy: PINNED,
  },
  uploadFields: {
    behaviour: "the upload form fields GitLab reads",
    gitlab:
      "content (the file), name and version are required (a missing one: 400 `<field> is missing`); requires_python, md5_digest, sha256_digest, metadata_version, author_email, description, description_content_type, summary and keywords are optional; `:action`, filetype, pyversion, protocol_version and blake2_256_digest are not read at all",
    value: { required: ["content", "name", "version"], ignored: [":action", "filetype", "pyversion", "protocol_version", "blake2_256_digest"], missingStatus: 400 },
    source: { ...API, at: "post params (≈404-418)" },
    pinnedBy: PINNED,
  },
  sha256Optional: {
    behaviour: "an upload without `sha256_digest`",
    gitlab: "accepted (201); only in FIPS mode is a missing digest refused, with 422",
    value: { status: 201, fipsStatus: 422 },
    source: { ...API, at: "optional :sha256_digest; #validate_fips! (unprocessable_entity! when blank, ≈155-159), called only if Gitlab::FIPS.enabled?" },
    pinnedBy: PINNED,
  },
  sha256Unchecked: {
    behaviour: "an upload whose well-formed `sha256_digest` is not the file's",
    gitlab: "accepted (201): the declared digest is stored as the file's sha256 without comparing it with the bytes, and the index links and lists that declared digest",
    value: "declared",
    source: { file: "app/services/packages/pypi/create_package_service.rb", at: "#file_params: file_sha256: params[:sha256_digest] (≈56-63)", version: at("de09f03") },
    pinnedBy: PINNED,
  },
  sha256Malformed: {
    behaviour: "an upload whose `sha256_digest` is not 64 hex digits",
    gitlab: "400 (Grape's regexp validation: `sha256_digest is invalid`)",
    value: 400,
    source: { ...API, at: "optional :sha256_digest, regexp: Gitlab::Regex.sha256_regex (/\\A[0-9a-f]{64}\\z/i)" },
    pinnedBy: PINNED,
  },
  md5Unchecked: {
    behaviour: "an upload whose `md5_digest` is not the file's",
    gitlab: "accepted (201): stored as file_md5 unchecked (dropped in FIPS mode)",
    value: 201,
    source: { file: "app/services/packages/pypi/create_package_service.rb", at: "#file_params: file_md5: params[:md5_digest] (≈33, 61)", version: at("de09f03") },
    pinnedBy: PINNED,
  },
  fileNameUnchecked: {
    behaviour: "an upload whose file name does not match `name` and `version`",
    gitlab: "accepted (201): nothing compares them; the file is stored and served under the uploaded file name",
    value: 201,
    source: { file: "app/services/packages/pypi/create_package_service.rb", at: "#file_params: file_name: params[:content].original_filename (≈56-63)", version: at("de09f03") },
    pinnedBy: PINNED,
  },
  nameRule: {
    behaviour: "which project names an upload may carry",
    gitlab:
      "GitLab's permissive `package_name_regex` (word characters, `-`, `.`, `+` and `/` segments, `@`): `-odd_` and `a..b` are accepted; a name with a space or `!` gives 400 (Validation failed: Name is invalid)",
    value: { pattern: PACKAGE_NAME, status: 400 },
    source: { file: "app/models/packages/pypi/package.rb", at: "validates :name, format: Gitlab::Regex.package_name_regex (lib/gitlab/regex/packages.rb #package_name_regex)", version: at("a71673e") },
    pinnedBy: PINNED,
  },
  versionRule: {
    behaviour: "which versions an upload may carry",
    gitlab: "`pypi_version_regex` (packaging 16.7's: optional `v`, epoch, pre, post, dev and local parts, any case); anything else gives 400 (the exact message is not pinned by a GitLab spec)",
    value: { pattern: PYPI_VERSION, status: 400 },
    source: { file: "app/models/packages/pypi/package.rb", at: "validates :version, format: Gitlab::Regex.pypi_version_regex (≈10)", version: at("bc7f4d7") },
    pinnedBy: PINNED,
  },
  requiresPythonMax: {
    behaviour: "an upload whose `requires_python` is longer than 255 characters",
    gitlab: "400 (the other metadata fields are truncated, this one is validated)",
    value: 255,
    source: { file: "app/models/packages/pypi/metadatum.rb", at: "MAX_REQUIRED_PYTHON_LENGTH = 255, validates :required_python, length", version: at("bc7f4d7") },
    pinnedBy: PINNED,
  },
  maxFileSize: {
    behaviour: "the instance's PyPI file size limit (plan limit `pypi_max_file_size`)",
    gitlab: "3 GiB (3221225472 bytes) by default; admins change it with PUT /api/v4/application/plan_limits",
    value: 3 * 1024 ** 3,
    source: { file: "db/structure.sql", at: "plan_limits.pypi_max_file_size DEFAULT 3221225472", version: "GitLab source (plan_limits schema; commit not recorded)" },
    pinnedBy: PINNED,
  },
  fileTooLarge: {
    behaviour: "an upload over `pypi_max_file_size`",
    gitlab:
      "Rails answers 400 `400 Bad request - File is too large`; behind Workhorse (told the limit by POST …/pypi/authorize) the upload may be cut off first with 413 (not confirmed in Workhorse's source for this route), so both count as the refusal",
    value: { status: 400, message: "400 Bad request - File is too large", workhorseStatus: 413 },
    source: { ...API, at: "post: bad_request!('File is too large') if actual_limits.exceeded?(:pypi_max_file_size, …) (≈428-430); post 'authorize' maximum_size (≈472-476)" },
    pinnedBy: PINNED,
  },
  duplicateFile: {
    behaviour: "uploading a file name the version already holds",
    gitlab:
      "400 `400 Bad request - Validation failed: File name has already been taken`; the rule is per file name within one name and version, and no setting allows duplicates (there is no pypi_duplicates_allowed)",
    value: { policy: "reject" as const, status: 400, message: "400 Bad request - Validation failed: File name has already been taken" },
    source: { file: "app/models/packages/package_file.rb", at: "validates :file_name, uniqueness: { scope: :package }, if: … package&.pypi? (≈43)", version: at("017a6c1") },
    pinnedBy: PINNED,
  },
  newFileSameVersion: {
    behaviour: "uploading another file (an sdist after the wheel) to an existing version",
    gitlab: "accepted (201): the file joins the version",
    value: 201,
    source: { file: "app/services/packages/create_package_service.rb", at: "#find_or_create_package!: safe_find_or_create_by!(name:, version:)", version: at("40024ef") },
    pinnedBy: PINNED,
  },
  metadataPerVersion: {
    behaviour: "`requires_python` of a version whose files were uploaded with different values",
    gitlab: "kept per version (name and version), upserted on every upload: the last upload's value is shown for every file of the version",
    value: "last upload",
    source: { file: "app/services/packages/pypi/create_package_service.rb", at: "#execute: ::Packages::Pypi::Metadatum.upsert(…, unique_by: :package_id) (≈18-35)", version: at("de09f03") },
    pinnedBy: PINNED,
  },
  simpleHtml: {
    behaviour: "the simple index pages without the `pypi_pep_691_json` feature flag",
    gitlab: "HTML only, `Content-Type: text/html; charset=utf-8`, no Vary header; Accept is not read",
    value: { contentType: "text/html; charset=utf-8" },
    source: { ...API, at: "#present_html, #present_simple_index, #present_simple_package (≈75-129)" },
    pinnedBy: PINNED,
  },
  pep691Flag: {
    behaviour: "PEP 691 JSON on the simple index",
    gitlab: "only behind the feature flag `pypi_pep_691_json` (milestone 18.10, default_enabled: false); admins turn it on with POST /api/v4/features/pypi_pep_691_json",
    value: { flag: "pypi_pep_691_json", default: false },
    source: { file: "config/feature_flags/gitlab_com_derisk/pypi_pep_691_json.yml", at: "milestone, default_enabled (lines 2-8)", version: at("b1ec9a7") },
    pinnedBy: PINNED,
  },
  pep691Negotiation: {
    behaviour: "content negotiation with `pypi_pep_691_json` on",
    gitlab:
      "JSON when any comma-separated Accept entry starts with application/vnd.pypi.simple.v1+json or application/vnd.pypi.simple.latest+json (q-values are not read, so even q=0 asks for JSON); HTML for anything else, never 406; JSON as `application/vnd.pypi.simple.v1+json; charset=utf-8`, HTML always as `text/html; charset=utf-8`; both with `Vary: Accept`",
    value: {
      jsonTypes: ["application/vnd.pypi.simple.v1+json", "application/vnd.pypi.simple.latest+json"],
      jsonContentType: "application/vnd.pypi.simple.v1+json; charset=utf-8",
      htmlContentType: "text/html; charset=utf-8",
      vary: "Accept",
    },
    source: { ...API, at: "#json_format_requested?, #present_simple_json, #present_pypi_html_with_vary (≈12-13, 47-73)" },
    pinnedBy: PINNED,
  },
  htmlProjectPage: {
    behaviour: "the HTML project page (`simple/<name>`)",
    gitlab:
      "title and h1 `Links for <name as first uploaded>`; one `<a href=\"<absolute>/files/<sha256>/<file>#sha256=<sha256>\" data-requires-python=\"…\">` per file, `data-requires-python` present even when empty; no `<br>`, no repository-version meta",
    value: { requiresPythonAttribute: "always" },
    source: { file: "app/presenters/packages/pypi/simple_package_versions_presenter.rb", at: "#links, #build_pypi_package_file_path; simple_presenter_base.rb #body, #package_link", version: at("a45525a") },
    pinnedBy: PINNED,
  },
  jsonProjectPage: {
    behaviour: "the PEP 691 JSON project page (flag on)",
    gitlab:
      "`{meta:{api-version:\"1.0\"}, name:<normalized>, files:[{filename, url, hashes:{sha256}, requires-python?}]}`: the url keeps the `#sha256=` fragment, `requires-python` is left out when blank, no `yanked`",
    value: { urlFragment: true, requiresPythonWhenBlank: "omitted" },
    source: { file: "app/presenters/packages/pypi/simple_package_versions_json_presenter.rb", at: "#body, #file_entry, #build_pypi_package_file_path", version: at("b703515") },
    pinnedBy: PINNED,
  },
  indexPage: {
    behaviour: "the project list (`simple`)",
    gitlab:
      "HTML: one anchor per package version, its text the name as uploaded, its href `<absolute>/simple/<normalized>` (no trailing slash), with data-requires-python; JSON (flag on): each normalized name once, sorted",
    value: { html: "per version", json: "unique sorted normalized names" },
    source: { file: "app/presenters/packages/pypi/simple_index_presenter.rb", at: "#links, #build_pypi_package_path (simple_index_json_presenter.rb #body, a263bb9)", version: at("495a5c7") },
    pinnedBy: PINNED,
  },
  nameLookup: {
    behaviour: "the project page asked for under another spelling of the name",
    gitlab:
      "the stored names are normalized but the requested one is only lower-cased, with no redirect: `My-Package` reaches my.package, `my_package` and `my.package` give 404 (PEP 503 wants every spelling to resolve or redirect: a recorded deviation)",
    value: { request: "lowercased" as const, redirect: false },
    source: { file: "app/finders/packages/pypi/packages_finder.rb", at: "#execute: with_normalized_pypi_name(@params[:package_name]) (≈6-10); app/models/packages/pypi/package.rb scope with_normalized_pypi_name (≈12-18)", version: at("0ea3fce") },
    pinnedBy: PINNED,
  },
  unknownPackage: {
    behaviour: "the project page of a name the project does not hold",
    gitlab:
      "404 `404 Package Not Found`; where request forwarding (`pypi_package_requests_forwarding`) is on, a 302 to https://pypi.org/simple/<name>/ instead (the client treats a redirect to another host as not found here)",
    value: { status: 404, message: "404 Package Not Found", forwardedTo: "https://pypi.org/simple/" },
    source: { ...API, at: "#present_simple_package: redirect_registry_request … not_found!('Package') (≈108-114)" },
    pinnedBy: PINNED,
  },
  levels: {
    behaviour: "where the PyPI routes are served",
    gitlab: "uploads at the project only; the simple index and downloads at the project and the group (`/groups/:id/-/packages/pypi`); no instance-level PyPI API",
    value: { read: ["project", "group"] as const, upload: ["project"] as const },
    source: { ...API, at: "resource :groups namespace ':id/-/packages/pypi' (read routes only), resource :projects namespace ':id/packages/pypi'" },
    pinnedBy: PINNED,
  },
  download: {
    behaviour: "downloading `files/<sha256>/<file>`",
    gitlab: "the file is found by its file name and stored sha256 among the project's PyPI packages, whatever the name; anything else gives 404 `404 Package Not Found`",
    value: { status: 404, message: "404 Package Not Found" },
    source: { ...API, at: "get 'files/:sha256/*file_identifier': Packages::Pypi::PackageFinder(filename:, sha256:) … not_found!('Package') (≈287-311)" },
    pinnedBy: PINNED,
  },
  credentials: {
    behaviour: "how credentials travel to the PyPI routes",
    gitlab:
      "Basic (a personal or deploy token as the password, any username; a job token only as `gitlab-ci-token`), Bearer, and the PRIVATE-TOKEN and DEPLOY-TOKEN headers (PRIVATE-TOKEN read from GitLab's finder code; no PyPI spec exercises it); the JOB-TOKEN header is not read (`job_token_allowed: :basic_auth`), so a request carrying only it is anonymous",
    value: { accepted: ["basic", "bearer", "private-token", "deploy-token"], ignored: ["job-token"] },
    source: { ...API, at: "route_setting :authentication, deploy_token_allowed: true, basic_auth_personal_access_token: true, job_token_allowed: :basic_auth (every route); lib/gitlab/auth/auth_finders.rb #can_authenticate_job_token_request? (00c1152)" },
    pinnedBy: PINNED,
  },
  publicProject: {
    behaviour: "a public project (or one whose package registry is public)",
    gitlab: "the simple index and downloads answer anyone, including a wrong Basic password (read as anonymous); an anonymous upload still gets 401",
    value: { anonymousRead: 200, anonymousUpload: 401 },
    source: { file: "lib/api/helpers/packages/basic_auth_helpers.rb", at: "#authorized_user_project, #unauthorized_or! (≈23-41, 60-68); pypi_packages.rb allow_public_access_for_enabled_project_features", version: at("286bddc") },
    pinnedBy: PINNED,
  },
  uploadPermission: {
    behaviour: "who may upload",
    gitlab: "`create_package`: a Developer or above, or a deploy token with write_package_registry; a read-only deploy token gets 403",
    value: { readOnly: 403 },
    source: { file: "lib/api/helpers/packages_helpers.rb", at: "#authorize_upload! (app/policies/project_policy.rb developer: enable :create_package)", version: at("05f0ebb") },
    pinnedBy: PINNED,
  },
  noDelete: {
    behaviour: "removing a package",
    gitlab:
      "no delete through the PyPI API; the Packages API (`DELETE /projects/:id/packages/:package_id`, package_type pypi) removes a version, for a Maintainer (a Developer gets 403)",
    value: { packageType: "pypi", developerStatus: 403 },
    source: { ...API, at: "no delete route (whole file); lib/api/project_packages.rb delete ':id/packages/:package_id'" },
    pinnedBy: PINNED,
  },
  listedName: {
    behaviour: "the name the Packages API lists for a PyPI version",
    gitlab: "the name as uploaded (not normalized); package_name filters it fuzzily, so cleanup compares names PEP 503-normalized",
    value: "as uploaded",
    source: { file: "app/services/packages/create_package_service.rb", at: "#find_or_create_package!: name: params[:name]", version: at("40024ef") },
    pinnedBy: PINNED,
  },
});
