/**
 * GitLab's Terraform Module Registry, one fact at a time, each with the place
 * in GitLab's source that defines it. The gitlab profile, the reference
 * registry's Terraform routes and the generated "GitLab fidelity" page read
 * them here; `test/gitlab-facts.test.ts` pins the reference registry to each.
 *
 * Read from the public mirror `gitlabhq/gitlabhq` (GitLab 18.x, December 2026).
 *
 * @module
 */
import { defineGitLabFacts } from "@regkit/core";

const PINNED = "packages/terraform/test/gitlab-facts.test.ts";
const NAMESPACE_API = { file: "lib/api/terraform/modules/v1/namespace_packages.rb", version: "GitLab 18.x source, commit 017a6c1" };
const PROJECT_API = { file: "lib/api/terraform/modules/v1/project_packages.rb", version: "GitLab 18.x source, commit 08c811d" };
const NAMESPACE_SPEC = { file: "spec/requests/api/terraform/modules/v1/namespace_packages_spec.rb", version: "GitLab 18.x source, commit 800235c" };
const PROJECT_SPEC = { file: "spec/requests/api/terraform/modules/v1/project_packages_spec.rb", version: "GitLab 18.x source, commit 4ec95e2" };
const CREATE = { file: "app/services/packages/terraform_module/create_package_service.rb", version: "GitLab 18.x source, commit 2994a84" };
const REGEX = { file: "lib/gitlab/regex/packages.rb", version: "GitLab 18.x source, commit a8eb10f" };

/** `terraform_module_package_name_regex`: `\A[-a-z0-9]+\/[-a-z0-9]+\z`, the stored name `<module_name>/<module_system>`. */
const NAME = /^[-a-z0-9]+\/[-a-z0-9]+$/;
/** `semver_regex` (SemVer 2.0.0, no `v` prefix): `\A<major>.<minor>.<patch>(-<prerelease>)?(\+<build>)?\z`. */
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:\d*[a-zA-Z-][0-9a-zA-Z-]*|[1-9]\d*|0)(?:\.(?:\d*[a-zA-Z-][0-9a-zA-Z-]*|[1-9]\d*|0))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export const terraformGitLabFacts = defineGitLabFacts("terraform", {
  discovery: {
    behaviour: "Terraform's service discovery document",
    gitlab: "`GET /.well-known/terraform.json` at the host root, without credentials, answers `{\"modules.v1\":\"/api/v4/packages/terraform/modules/v1/\"}` (modules only, no providers.v1)",
    value: { path: "/.well-known/terraform.json", modulesV1: "/api/v4/packages/terraform/modules/v1/" },
    source: { file: "app/controllers/terraform/services_controller.rb", at: "Terraform::ServicesController#index (skip_before_action :authenticate_user!)", version: "GitLab 18.x source, commit 3244fee" },
    pinnedBy: PINNED,
  },
  routes: {
    behaviour: "the Terraform module endpoints GitLab serves",
    gitlab:
      "uploads at project level only: `PUT /projects/:id/packages/terraform/modules/:module_name/:module_system/*module_version/file` (plus Workhorse's `…/file/authorize`); the module registry protocol at instance level under the namespace: `GET /packages/terraform/modules/v1/:module_namespace/:module_name/:module_system` (latest), `/versions`, `/download` (latest), `/:module_version`, `/:module_version/download`, `/:module_version/file`",
    value: { upload: ["project"], protocol: ["instance"] },
    source: { ...NAMESPACE_API, at: "namespace 'packages/terraform/modules/v1/:module_namespace/:module_name/:module_system'; project_packages.rb namespace ':id/packages/terraform/modules/:module_name/:module_system' > '*module_version' > :file (put)" },
    pinnedBy: PINNED,
  },
  namespace: {
    behaviour: "the module namespace in protocol paths",
    gitlab: "`:module_namespace` is a group (its path or id, `find_namespace`); versions are looked up among the packages of that group's projects the caller may read (`GroupPackagesFinder`, exact name `<module_name>/<module_system>`)",
    value: { kind: "group" },
    source: { ...NAMESPACE_API, at: "helpers #module_namespace (find_namespace), #finder_params (exact_name: true), #packages (::Packages::GroupPackagesFinder)" },
    pinnedBy: PINNED,
  },
  uploadAuth: {
    behaviour: "credentials on the upload",
    gitlab:
      "only the `PRIVATE-TOKEN`, `DEPLOY-TOKEN` and `JOB-TOKEN` headers; no credentials is 401, a credential that only reads (Guest, read-only deploy token) is 403, a non-member of a private project 404",
    value: { headers: ["PRIVATE-TOKEN", "DEPLOY-TOKEN", "JOB-TOKEN"], anonymous: 401, readOnly: 403 },
    source: { ...PROJECT_API, at: "namespace :file > authenticate_with (http_deploy_token_header, http_job_token_header, http_private_token_header); spec 'with valid project' table" },
    pinnedBy: PINNED,
  },
  readAuth: {
    behaviour: "credentials on the module registry protocol (versions, download)",
    gitlab:
      "`Authorization: Bearer <token>` with a personal access token, a deploy token or a CI job token (Terraform's `credentials` block sends exactly that); an invalid token is 401, no credentials on a private group 401, a non-member 403; anyone reads a public group",
    value: { scheme: "Bearer", kinds: ["personal", "deploy", "job"], invalid: 401, anonymousPrivate: 401, nonMember: 403 },
    source: { ...NAMESPACE_API, at: "authenticate_with token_types(:personal_access_token, :deploy_token, :job_token).sent_through(:http_bearer_token); namespace_packages_spec.rb 'with valid namespace' tables" },
    pinnedBy: PINNED,
  },
  uploadStatus: {
    behaviour: "uploading a module archive",
    gitlab: "the body is the archive itself (`curl --upload-file`, Workhorse turns it into the `file` param); 201 Created with `{\"message\":\"201 Created\"}`; stored as the package `<module_name>/<module_system>`, version `<module_version>`, one file `<module_name>-<module_system>-<module_version>.tgz`",
    value: { status: 201, message: "201 Created" },
    source: { ...PROJECT_API, at: "put: CreatePackageService, `created!`; create_package_service.rb #name, #file_name" },
    pinnedBy: PINNED,
  },
  nameRule: {
    behaviour: "the module name and system",
    gitlab:
      "each one URL segment (`API::NO_SLASH_URL_PART_REGEX`); the stored name `<module_name>/<module_system>` must match `terraform_module_package_name_regex` `\\A[-a-z0-9]+\\/[-a-z0-9]+\\z` (lowercase letters, digits, `-`), else 422 `Validation failed: Name is invalid`",
    value: { rule: NAME, status: 422, message: "Validation failed: Name is invalid" },
    source: { ...REGEX, at: "#terraform_module_package_name_regex; app/models/packages/terraform_module/package.rb validates :name; create_package_service.rb rescue ActiveRecord::RecordInvalid => :unprocessable_entity" },
    pinnedBy: PINNED,
  },
  versionRule: {
    behaviour: "the module version",
    gitlab: "`semver_regex` (SemVer 2.0.0: `1.2.3`, `1.2.3-rc.1+build.5`; no `v` prefix, no `1.2`); anything else is 400 (`{\"error\":\"module_version is invalid\"}`, Grape's validation)",
    value: { rule: SEMVER, status: 400 },
    source: { ...REGEX, at: "#semver_regex, #_semver_prerelease_build_regex; project_packages.rb `requires :module_version, regexp: Gitlab::Regex.semver_regex`" },
    pinnedBy: PINNED,
  },
  duplicateVersion: {
    behaviour: "uploading a version the project already has",
    gitlab: "always refused, whatever the group's settings: 403 `A module with the same name & version already exists in the project.`",
    value: { status: 403, message: "A module with the same name & version already exists in the project." },
    source: { ...CREATE, at: "#execute `if current_package_version_exists?` (reason: :forbidden); project_packages_spec.rb 'with an existing package in the same project' (forbidden)" },
    pinnedBy: PINNED,
  },
  maxFileSize: {
    behaviour: "the default largest module archive (plan limit `terraform_module_max_file_size`)",
    gitlab: "1073741824 bytes (1 GiB)",
    value: 1024 ** 3,
    source: { file: "db/migrate/…_add_terraform_module_max_file_size_to_plan_limits.rb", at: "add_column :plan_limits, :terraform_module_max_file_size, :bigint, default: 1.gigabyte", version: "GitLab 18.x source (AddTerraformModuleMaxFileSizeToPlanLimits)" },
    pinnedBy: PINNED,
  },
  overLimit: {
    behaviour: "uploading an archive over `terraform_module_max_file_size`",
    gitlab: "Rails answers 400 `400 Bad request - File is too large`; Workhorse is told the limit at authorize (`maximum_size`) and refuses a longer body with 413 first: the kit accepts either, the reference answers as Rails",
    value: { status: 400, message: "400 Bad request - File is too large", workhorse: 413 },
    source: { ...PROJECT_API, at: "put: `bad_request!('File is too large') if … exceeded?(:terraform_module_max_file_size, …)`; #authorize_workhorse_params maximum_size" },
    pinnedBy: PINNED,
  },
  versions: {
    behaviour: "`GET …/:module_namespace/:module_name/:module_system/versions`",
    gitlab:
      "200 `{\"modules\":[{\"versions\":[{\"version\":…,\"submodules\":[],\"root\":{\"dependencies\":[],\"providers\":[{\"name\":<system>,\"version\":\"\"}]}}],\"source\":<project web URL>}]}`; a module nobody published is 200 with `\"versions\":[]` (and no `source`)",
    value: { status: 200 },
    source: { file: "app/presenters/terraform/modules_presenter.rb", at: "#modules; lib/api/entities/terraform/module_versions.rb; namespace_packages.rb get 'versions'", version: "GitLab 18.x source, commit 4555e1b" },
    pinnedBy: PINNED,
  },
  download: {
    behaviour: "`GET …/:module_version/download`",
    gitlab:
      "204 No Content with `X-Terraform-Get: /api/v4/packages/terraform/modules/v1/<namespace>/<name>/<system>/<version>/file?token=<JWT>&archive=tgz` (a path on the same host; the JWT wraps the caller's token); a version that is not stored is 404",
    value: { status: 204, header: "x-terraform-get", missing: 404 },
    source: { ...NAMESPACE_API, at: "get 'download' in namespace '*module_version' (`header 'X-Terraform-Get'`, `status :no_content`); after_validation `not_found! unless package && package_file`" },
    pinnedBy: PINNED,
  },
  fileToken: {
    behaviour: "`GET …/:module_version/file` (the `X-Terraform-Get` URL)",
    gitlab:
      "reads its credential only from the `token` query parameter: a JWT (HS256, 5 minutes, Gitlab::JWTToken) of a personal, deploy or job token, as `download` issues it; Terraform fetches the URL without its registry credentials. No or an invalid token on a private group is 401; the answer is the stored archive",
    value: { param: "token", expiresInSeconds: 300, invalid: 401, status: 200 },
    source: { ...NAMESPACE_API, at: "namespace 'file' > authenticate_with (deploy_token_from_jwt, job_token_from_jwt, personal_access_token_from_jwt).sent_through(:token_param); lib/gitlab/jwt_token.rb HMAC_EXPIRES_IN = 5.minutes; spec GET …/file ('invalid-token123' unauthorized)" },
    pinnedBy: PINNED,
  },
  latest: {
    behaviour: "`GET …/:module_system/download` and `GET …/:module_system` (the latest version)",
    gitlab: "the highest version by SemVer: `download` is a 302 redirect to that version's `download`, the bare path its details (`name`, `provider`, `providers`, `root`, `source`, `submodules`, `version`, `versions`); with no version, 404",
    value: { redirect: 302, missing: 404 },
    source: { ...NAMESPACE_API, at: "#latest_package (order_metadatum_semver_desc), get 'download' `redirect(download_path)`, get (ModuleVersionPresenter); namespace_packages_spec.rb 'redirects to version download' (found)" },
    pinnedBy: PINNED,
  },
  projectDownload: {
    behaviour: "the project-level download routes (GitLab 16.7+)",
    gitlab:
      "`GET /projects/:id/packages/terraform/modules/:module_name/:module_system[/*module_version]` with Basic auth whose username is checked (a personal token's owner, a deploy token's username, `gitlab-ci-token`): the archive, or with `?terraform-get=1` 204 and `X-Terraform-Get: <same URL>?archive=tgz`",
    value: { basic: "checked", terraformGet: 204 },
    source: { ...PROJECT_SPEC, at: "project_packages.rb #present_package_file, authenticate_with (personal_access_token_with_username, deploy_token_with_username, job_token_with_username).sent_through(:http_basic_auth)" },
    pinnedBy: PINNED,
  },
  namespaceSpec: {
    behaviour: "versions of a module with a longer name that contains it",
    gitlab: "not listed: the lookup is by exact name (a `conflict-<name>` module in the same group does not add versions)",
    value: { exactName: true },
    source: { ...NAMESPACE_SPEC, at: "'with a conflicting package name' (returns only one version)" },
    pinnedBy: PINNED,
  },
});
