/**
 * GitLab's Generic package registry, one fact at a time, each with the place
 * in GitLab's source that defines it. The gitlab profile, the reference
 * registry's Generic routes and the generated "GitLab fidelity" page read them
 * here; `test/gitlab-facts.test.ts` pins the reference registry to each.
 *
 * Read from the public mirror `gitlabhq/gitlabhq` (GitLab 18.x, December 2026).
 * The shared facts (realm, Basic usernames, invalid credentials, who may
 * delete, the Packages API) are `GITLAB_FACTS` of @regkit/core.
 *
 * @module
 */
import { defineGitLabFacts } from "@regkit/core";

const PINNED = "packages/generic/test/gitlab-facts.test.ts";
const API = { file: "lib/api/generic_packages.rb", version: "GitLab 18.x source, commit 0286e4c" };
const SPEC = { file: "spec/requests/api/generic_packages_spec.rb", version: "GitLab 18.x source, commit 049eb5d" };
const REGEX = { file: "lib/gitlab/regex/packages.rb", version: "GitLab 18.x source, commit 3a77f46" };
const CREATE = { file: "app/services/packages/generic/create_package_file_service.rb", version: "GitLab 18.x source, commit 0653e08" };
const PACKAGE = { file: "app/models/packages/package.rb", version: "GitLab 18.x source, commit 017a6c1" };

/** `maven_file_name_regex`, which `generic_package_name_regex` is. */
const NAME = /^[A-Za-z0-9._\-+]+$/;
/** `maven_version_regex`, which `generic_package_version_regex` is (Ruby's `\w` is ASCII: `[A-Za-z0-9_]`). */
const VERSION = /^(?!.*\.\.)[A-Za-z0-9_+.-]+$/;
/** `generic_package_file_name_regex`: the name characters plus `~`, which may not start or end it. */
const FILE_NAME = /^(?!~)[A-Za-z0-9._\-+~]+(?<!~)$/;

export const genericGitLabFacts = defineGitLabFacts("generic", {
  routes: {
    behaviour: "the Generic endpoints GitLab serves",
    gitlab:
      "`PUT` and `GET /projects/:id/packages/generic/:package_name/*package_version/(*path/):file_name` at project level only (plus Workhorse's `PUT …/authorize`); no group or instance level, no listing and no delete: versions are listed and removed through the Packages API",
    value: { put: ["project"], get: ["project"] },
    source: { ...API, at: "namespace ':id/packages/generic' > namespace ':package_name/*package_version/(*path/):file_name' (put 'authorize', put, get)" },
    pinnedBy: PINNED,
  },
  uploadStatus: {
    behaviour: "uploading a file",
    gitlab: "201 Created with `{\"message\":\"201 Created\"}`; with `?select=package_file`, 200 with the stored package file as JSON (`id`, `package_id`, `file_name`, `size`, `file_sha256`, ...)",
    value: { created: 201, selected: 200, message: "201 Created" },
    source: { ...API, at: "put: `if params[:select] == 'package_file' present response[:package_file] else created!`" },
    pinnedBy: PINNED,
  },
  selectValues: {
    behaviour: "the `select` parameter of an upload",
    gitlab: "only `package_file`; any other value is 400 Bad Request",
    value: { values: ["package_file"], invalid: 400 },
    source: { ...API, at: "put params `optional :select, values: %w[package_file]`; spec 'with an invalid value' (bad_request)" },
    pinnedBy: PINNED,
  },
  statusValues: {
    behaviour: "the `status` parameter of an upload",
    gitlab: "`default` or `hidden` (ALLOWED_STATUSES); any other value (`processing`) is 400; a later upload with a status changes the package's status",
    value: { values: ["default", "hidden"], invalid: 400 },
    source: { ...API, at: "ALLOWED_STATUSES = %w[default hidden], `optional :status, values: ALLOWED_STATUSES`; CreatePackageFileService `package.update_column(:status, ...)`" },
    pinnedBy: PINNED,
  },
  hidden: {
    behaviour: "a package uploaded with `status=hidden`",
    gitlab:
      "still downloadable (INSTALLABLE_STATUSES has hidden; the request spec answers 200 for a hidden package, 404 for one in `error`), but not listed by the Packages API unless asked for with `status=hidden` (DISPLAYABLE_STATUSES is default, error, deprecated)",
    value: { downloadable: true, listedByDefault: false, listedWith: "status=hidden" },
    source: { ...PACKAGE, at: "DISPLAYABLE_STATUSES, INSTALLABLE_STATUSES, scope :displayable; app/finders/packages/packages_finder.rb #filter_by_status; spec GET 'with package status'" },
    pinnedBy: PINNED,
  },
  nameRule: {
    behaviour: "the package name",
    gitlab: "`generic_package_name_regex` = `maven_file_name_regex`: `\\A[A-Za-z0-9\\.\\_\\-\\+]+\\z`; anything else is 400 (a Grape param `regexp`); `/` and `..` traversal are refused (400) before",
    value: NAME,
    source: { ...REGEX, at: "#generic_package_name_regex, #maven_file_name_regex" },
    pinnedBy: PINNED,
  },
  versionRule: {
    behaviour: "the package version",
    gitlab: "`generic_package_version_regex` = `maven_version_regex`: `\\A(?!.*\\.\\.)[\\w+.-]+\\z` (no `..` anywhere); else 400. `1.2.bananas`, `v1.2.4-build` and a 40-hex commit id are versions",
    value: VERSION,
    source: { ...REGEX, at: "#generic_package_version_regex, #maven_version_regex; spec 'different versions'" },
    pinnedBy: PINNED,
  },
  fileNameRule: {
    behaviour: "the file name",
    gitlab: "`generic_package_file_name_regex`: `\\A(?!~)[A-Za-z0-9\\.\\_\\-\\+~]+(?<!~)\\z` (`~` inside only, no `@`); else 400",
    value: FILE_NAME,
    source: { ...REGEX, at: "#generic_package_file_name_regex; spec 'when filename contains @ or ~ symbol at beginning or end'" },
    pinnedBy: PINNED,
  },
  invalidParam: {
    behaviour: "a name, version or file name outside its rule",
    gitlab: "400 Bad Request (`{\"error\":\"<param> is invalid\"}` from Grape's validation), nothing stored",
    value: 400,
    source: { ...SPEC, at: "'different versions' ('..1.2.3' bad_request), 'application security' (secure endpoint: bad_request)" },
    pinnedBy: PINNED,
  },
  duplicatesDefault: {
    behaviour: "uploading a file name the version already has",
    gitlab: "allowed by default (`generic_duplicates_allowed` defaults to true): the file is added again, the download serves the newest",
    value: "allow",
    source: { ...CREATE, at: "#find_or_create_package `unless Namespace::PackageSetting.duplicates_allowed?(package)`; app/models/namespace/package_setting.rb (generic_duplicates_allowed default true)" },
    pinnedBy: PINNED,
  },
  duplicateRefusal: {
    behaviour: "a duplicate file name where the group setting forbids duplicates",
    gitlab: "400 `400 Bad request - Duplicate package is not allowed`; other file names of the same version are still accepted (the check is per file name)",
    value: { status: 400, message: "400 Bad request - Duplicate package is not allowed" },
    source: { ...API, at: "put: `bad_request!('Duplicate package is not allowed') if response.cause.package_file_already_exists?`; CreatePackageFileService#target_file_is_duplicate?" },
    pinnedBy: PINNED,
  },
  duplicateException: {
    behaviour: "the group's `generic_duplicate_exception_regex`",
    gitlab:
      "inverts the setting for packages whose name or version it matches: with duplicates allowed, a matching package refuses duplicates (400); with duplicates forbidden, a matching package takes them (201)",
    value: { matches: ["name", "version"] },
    source: { ...SPEC, at: "'with existing package' > 'when package duplicates are (not) allowed' > 'when regex matches package name/version'" },
    pinnedBy: PINNED,
  },
  maxFileSize: {
    behaviour: "the default largest Generic file (plan limit `generic_packages_max_file_size`)",
    gitlab: "5368709120 bytes (5 GiB)",
    value: 5 * 1024 ** 3,
    source: { file: "db/migrate/…_add_generic_package_max_file_size_to_plan_limits.rb", at: "add_column :plan_limits, :generic_packages_max_file_size, default: 5.gigabytes", version: "GitLab 18.x source (AddGenericPackageMaxFileSizeToPlanLimits; the init schema migration keeps 5368709120)" },
    pinnedBy: PINNED,
  },
  overLimit: {
    behaviour: "uploading a file over `generic_packages_max_file_size`",
    gitlab:
      "Rails answers 400 `400 Bad request - File is too large`; Workhorse is told the limit (`maximum_size`) at authorize and refuses a body past it with 413 first: the kit accepts either, the reference answers as Rails",
    value: { status: 400, message: "400 Bad request - File is too large", workhorse: 413 },
    source: { ...API, at: "put: `bad_request!('File is too large') if max_file_size_exceeded?`; #authorize_workhorse_params `maximum_size:`" },
    pinnedBy: PINNED,
  },
  download: {
    behaviour: "downloading a stored file",
    gitlab: "200 with the bytes as an attachment (`Content-Disposition: attachment`) and `X-Checksum-SHA256` carrying the stored SHA-256; a package, version or file name that is not stored is 404",
    value: { status: 200, checksumHeader: "x-checksum-sha256", missing: 404 },
    source: { ...API, at: "get: SHA256_CHECKSUM_HEADER, `present_package_file!(package_file, content_disposition: :attachment, extra_response_headers:)`; spec 'responds with 404 Not Found for non existing package (file)'" },
    pinnedBy: PINNED,
  },
  auth: {
    behaviour: "credentials on the Generic routes",
    gitlab:
      "PRIVATE-TOKEN, DEPLOY-TOKEN and JOB-TOKEN headers, and Basic with a personal access token (any username), a deploy token, or `gitlab-ci-token` with a job token (downloads); no credentials on an upload is 401 (`authenticate_non_get!`); a read-only deploy token uploads 403 and downloads 200",
    value: { headers: ["PRIVATE-TOKEN", "DEPLOY-TOKEN", "JOB-TOKEN"], basic: true, anonymousUpload: 401, readonlyUpload: 403 },
    source: { ...API, at: "before { authenticate_non_get! }, route_setting :authentication job_token_allowed, basic_auth_personal_access_token, deploy_token_allowed; spec 'authentication' tables (deploy_token_ro: forbidden on PUT, success on GET)" },
    pinnedBy: PINNED,
  },
  jobTokenBasic: {
    behaviour: "a CI job token sent as Basic `gitlab-ci-token:<token>`",
    gitlab:
      "read on downloads (`job_token_allowed: %i[request basic_auth]`), not on uploads (`job_token_allowed: true` reads the JOB-TOKEN header or job_token parameter only): the upload is unauthenticated, 401. GitLab's docs upload from CI with `--header \"JOB-TOKEN: $CI_JOB_TOKEN\"`",
    value: { upload: 401, download: 200 },
    source: {
      file: "lib/gitlab/auth/auth_finders.rb",
      at: "#can_authenticate_job_token_basic_auth?, #can_authenticate_job_token_request?; lib/api/generic_packages.rb route_setting :authentication on put and get",
      version: "GitLab 18.x source (auth_finders.rb, newest stored text)",
    },
    pinnedBy: PINNED,
  },
  paths: {
    behaviour: "a file uploaded under a directory path (`…/:version/path/to/file.bin`)",
    gitlab: "stored as one file whose name is the URL-encoded path (`path%2Fto%2Ffile.bin`), downloaded by the same path",
    value: { encoded: "path%2Fto%2Ffile.bin" },
    source: { ...API, at: "#encoded_file_name `URI.encode_uri_component(file_name)`; spec 'when file has path'" },
    pinnedBy: PINNED,
  },
});
