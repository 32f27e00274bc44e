/**
 * GitLab facts that hold for every package format: how credentials travel and
 * what a bad one gets, who may delete, what the REST Packages API takes, where
 * settings live. Format kits keep their own facts next to their profiles; the
 * embedded reference registry and the gitlab profiles read these.
 *
 * Read from GitLab's source (the public mirror `gitlabhq/gitlabhq`), at the
 * commits given per fact (GitLab 18.x, December 2026).
 *
 * @module
 */
import { defineGitLabFacts } from "./facts.js";

const PINNED = "packages/registry/test/gitlab-facts.test.ts";
const AUTH_FINDERS = { file: "lib/gitlab/auth/auth_finders.rb", version: "GitLab 18.x, commit 00c1152" };

export const GITLAB_FACTS = defineGitLabFacts("gitlab", {
  realm: {
    behaviour: "an anonymous request to a package route of a private project",
    gitlab: '401 with `WWW-Authenticate: Basic realm="GitLab Packages Registry"` ("Packages", plural)',
    value: "GitLab Packages Registry",
    source: { file: "lib/api/helpers/packages/basic_auth_helpers.rb", at: "Constants::AUTHENTICATE_REALM_HEADER, #unauthorized! (≈9-12, 63-67)", version: "GitLab 18.x, commit 286bddc" },
    pinnedBy: PINNED,
  },
  jobTokenUsername: {
    behaviour: "a CI job token sent as Basic auth",
    gitlab: "read only with the username `gitlab-ci-token`; `gitlab-ci-token` with a token no running job has answers 401",
    value: "gitlab-ci-token",
    source: { ...AUTH_FINDERS, at: "#find_user_from_job_token, #find_user_from_job_token_basic_auth (≈90-97)" },
    pinnedBy: PINNED,
  },
  basicUsernameIgnored: {
    behaviour: "a personal or deploy token sent as Basic auth (npm, PyPI, Maven, generic routes)",
    gitlab: "only the password is looked up; the username is ignored (NuGet is the exception: see nuget.basicUsernames)",
    value: "ignored",
    source: { ...AUTH_FINDERS, at: "#deploy_token_from_request (≈153-167), #find_personal_access_token_from_http_basic_auth" },
    pinnedBy: PINNED,
  },
  invalidCredentials: {
    behaviour: "a credential nobody issued",
    gitlab: "401 for a bad PRIVATE-TOKEN, JOB-TOKEN or Bearer token and for Basic `gitlab-ci-token` with a bad password; a bad DEPLOY-TOKEN header or Basic password is no credential at all (anonymous)",
    value: { unauthorized: ["private-token", "job-token", "bearer", "basic gitlab-ci-token"], anonymous: ["deploy-token", "basic"] },
    source: { ...AUTH_FINDERS, at: "#find_personal_access_token (raise UnauthorizedError), #deploy_token_from_request (nil), #find_valid_running_job_by_token!" },
    pinnedBy: PINNED,
  },
  destroyNeedsMaintainer: {
    behaviour: "deleting a package (Packages API, NuGet delete, npm dist-tag delete)",
    gitlab: "`destroy_package` is a Maintainer's (and a deploy token's with write_package_registry); a Developer gets 403",
    value: 403,
    source: { file: "app/policies/project_policy.rb", at: "rule { can?(:maintainer_access) } enable :destroy_package; write_package_registry deploy token rule", version: "GitLab 18.x, commit 800235c" },
    pinnedBy: PINNED,
  },
  restApiCredentials: {
    behaviour: "credentials on the REST Packages API (`/projects/:id/packages`)",
    gitlab: "PRIVATE-TOKEN, Bearer and JOB-TOKEN; deploy tokens and Basic are ignored, so such a request is anonymous (404 on a private project)",
    value: ["PRIVATE-TOKEN", "Bearer", "JOB-TOKEN"],
    source: { file: "lib/api/project_packages.rb", at: "route_setting :authentication, job_token_allowed: true (≈56-57, 79-80, 134-135)", version: "GitLab 18.x, commit 800235c" },
    pinnedBy: PINNED,
  },
  restApiAnonymousPrivate: {
    behaviour: "an anonymous request to the REST Packages API of a private project",
    gitlab: "404 Project Not Found (find_project! hides the project)",
    value: 404,
    source: { file: "lib/api/helpers.rb", at: "#find_project!, #authenticate_non_public?", version: "GitLab 18.x (lib/api/helpers.rb, newest stored version)" },
    pinnedBy: PINNED,
  },
  foreignJobToken: {
    behaviour: "a CI job token of another project on the REST Packages API",
    gitlab: "403 Authentication by CI/CD job token not allowed from <source> to <target>.",
    value: 403,
    source: { file: "lib/api/helpers.rb", at: "#find_project!, #handle_job_token_failure!", version: "GitLab 18.x (lib/api/helpers.rb, newest stored version)" },
    pinnedBy: PINNED,
  },
  packagesApiDelete: {
    behaviour: "`DELETE /projects/:id/packages/:package_id`",
    gitlab: "permission first (403), then the lookup (404), then 204 No Content",
    value: 204,
    source: { file: "lib/api/project_packages.rb", at: "delete ':id/packages/:package_id' (≈122-141)", version: "GitLab 18.x, commit 800235c" },
    pinnedBy: PINNED,
  },
  packagesApiNameFilter: {
    behaviour: "`package_name` filter of the Packages API list",
    gitlab: "fuzzy and case-insensitive (ILIKE %name%); `package_version` is exact; offset pagination, 20 per page, 100 at most, X-Next-Page empty on the last page",
    value: { fuzzy: true, perPage: 20, maxPerPage: 100 },
    source: { file: "lib/api/project_packages.rb", at: "get ':id/packages' params package_name (fuzzy_search), use :pagination (≈39-65)", version: "GitLab 18.x, commit 800235c" },
    pinnedBy: PINNED,
  },
  groupSettings: {
    behaviour: "changing a group's duplicate settings",
    gitlab: "no REST endpoint: the GraphQL mutation updateNamespacePackageSettings (group Owner); duplicates settings exist for maven, generic, nuget and terraform_module only (none for npm or PyPI)",
    value: ["maven", "generic", "nuget", "terraform_module"],
    source: { file: "app/models/namespace/package_setting.rb", at: "PACKAGES_WITH_SETTINGS; app/graphql/mutations/namespace/package_settings/update.rb", version: "GitLab 18.x (package_setting.rb, newest stored version)" },
    pinnedBy: PINNED,
  },
  planLimits: {
    behaviour: "`GET /api/v4/application/plan_limits` (the instance's per-format file size limits)",
    gitlab: "admin only (401 anonymous, 403 non-admin); fields <format>_max_file_size; PUT requires plan_name",
    value: "admin",
    source: { file: "lib/api/admin/plan_limits.rb", at: "get / put (authenticated_as_admin!)", version: "GitLab 18.x, commit e8d2c25" },
    pinnedBy: PINNED,
  },
  featureFlags: {
    behaviour: "turning a feature flag on or off (`pypi_pep_691_json`)",
    gitlab: "admin only: POST /api/v4/features/:name with value=true|false answers 201 with the flag's state",
    value: 201,
    source: { file: "lib/api/features.rb", at: "post ':name'", version: "GitLab 18.x (lib/api/features.rb, newest stored version)" },
    pinnedBy: PINNED,
  },
});
