/**
 * GitLab's npm registry, fact by fact: every behaviour of GitLab's npm
 * endpoints the gitlab profile, the reference registry and the npm scenarios
 * rely on, each written once with the place in GitLab's source that defines
 * it. Read from the public mirror `gitlabhq/gitlabhq` at the commits given per
 * source (GitLab 18.x); line numbers are those of the copy read.
 *
 * Not recorded as facts because the source read does not settle them:
 * - Newer GitLab publishes through Workhorse into a temporary package
 *   (`PUT :package_name/authorize`, then `Packages::Npm::CreateTemporaryPackageService`
 *   and `ProcessTemporaryPackageFileWorker`; spec/requests/api/npm_project_packages_spec.rb,
 *   newest stored copy). The publish answers 200 at once and a duplicate, a bad
 *   version or a too-large file only fails later in the worker. Which release
 *   introduced it, and whether a feature flag gates it, is unconfirmed. Against
 *   such an instance, run with `--set duplicates=allow` (the duplicate is
 *   accepted and the version must still be listed once).
 * - The instance and group endpoints (no tarball route; metadata only for
 *   `@<root-namespace>/` names) and request forwarding (302 to npmjs.org for
 *   unknown packages, 307 for audits) are described, not modelled.
 *
 * @module
 */
import { defineGitLabFacts, type GitLabAuthScheme, type GitLabFacts, type GitLabFactInput } from "@regkit/core";

const PINNED = "packages/npm/test/gitlab-facts.test.ts";
const at = (commit: string): string => `GitLab 18.x, commit ${commit}`;

const PROJECT = { file: "lib/api/npm_project_packages.rb", version: at("800235c") };
const ENDPOINTS = { file: "lib/api/concerns/packages/npm_endpoints.rb", version: "GitLab 18.x, commit c0ef148" };
const CREATE = { file: "app/services/packages/npm/create_package_service.rb", version: at("e6d27fc") };
const METADATA = { file: "app/services/packages/npm/generate_metadata_service.rb", version: at("4dbbab7") };
const HELPERS = { file: "lib/api/helpers/packages/npm.rb", version: at("301db28") };
const REGEX = { file: "lib/gitlab/regex/packages.rb", version: at("a8eb10f") };
const AUTH = { file: "lib/gitlab/auth/auth_finders.rb", version: at("00c1152") };

/** `Gitlab::PathRegex::NAMESPACE_FORMAT_REGEX`: the scope of a scoped name. */
const NAMESPACE = String.raw`(?:[a-zA-Z0-9_.][a-zA-Z0-9_\-.]*[a-zA-Z0-9_\-]|[a-zA-Z0-9_])(?<!\.git|\.atom)`;
/** `Gitlab::Regex::Packages#semver_regex` (semver.org's regex). */
const SEMVER = String.raw`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:\d*[a-zA-Z-][0-9a-zA-Z-]*|[1-9]\d*|0)(?:\.(?:\d*[a-zA-Z-][0-9a-zA-Z-]*|[1-9]\d*|0))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`;

/** A structured GitLab error body: `render_structured_api_error!({ message:, error: })`. */
export interface GitLabErrorBody {
  readonly status: number;
  readonly message: string;
  readonly error: string;
}

const facts = {
  publish: {
    behaviour: "publishing a new version (`PUT /:name` with the publish document)",
    gitlab: "200 OK (Grape's default for a PUT; `desc ... success code: 200`); the body is the created package record (`id`, `name`, `version`, `status`, ...), not npm's `{ok: true}`",
    value: 200,
    source: { ...PROJECT, at: "put ':package_name' (L82-121; `service_response[:package]` L119)" },
    pinnedBy: PINNED,
  },
  duplicate: {
    behaviour: "publishing a version the project already holds",
    gitlab:
      '403 `{"message":"Package already exists.","error":"Package already exists."}` (reason :package_already_exists maps to 403; versions pending destruction do not count). Newer GitLab may publish asynchronously through Workhorse (release and flag unconfirmed): it answers 200 and drops the duplicate later, so run such an instance with `--set duplicates=allow`',
    value: { status: 403, message: "Package already exists.", error: "Package already exists." } satisfies GitLabErrorBody,
    source: { ...CREATE, at: "#execute L23, #current_package_exists? L69-75; lib/api/npm_project_packages.rb ERROR_REASON_TO_HTTP_STATUS_MAPPTING L4-10 (800235c)" },
    pinnedBy: PINNED,
  },
  tooLarge: {
    behaviour: "publishing a tarball over the instance's npm limit",
    gitlab:
      '400 `{"message":"File is too large.","error":"File is too large."}`, the size computed from the base64 attachment. A GitLab that publishes through Workhorse (newer releases) enforces the limit in Workhorse, whose status for it is unconfirmed (likely 413): push.over-limit accepts any 4xx',
    value: { status: 400, message: "File is too large.", error: "File is too large." } satisfies GitLabErrorBody,
    source: { ...CREATE, at: "#execute L25, #calculated_package_file_size L117-127, #file_size_exceeded? L145-147" },
    pinnedBy: PINNED,
  },
  maxFileSize: {
    behaviour: "the default npm file size limit (plan limit `npm_max_file_size`)",
    gitlab: "524288000 bytes (500 MiB); an administrator changes it per plan",
    value: 524_288_000,
    source: { file: "db/structure.sql", at: "table plan_limits, npm_max_file_size bigint DEFAULT 524288000 NOT NULL", version: "GitLab 18.x, commit 92de056" },
    pinnedBy: PINNED,
  },
  nameRule: {
    behaviour: "which package names a publish may carry",
    gitlab:
      "only `npm_package_name_regex` (`\\A(?:@(NAMESPACE_FORMAT_REGEX)/)?[-+._a-zA-Z0-9]+\\z`): uppercase letters, a leading `.` or `_`, `node_modules`, `favicon.ico`, core-module names and names over 214 characters are accepted (npm refuses them for new packages); spaces, `~'!()*`, `%^<>?#` and malformed scopes are refused. The scope need not match the project's namespace",
    value: `^(?:@(${NAMESPACE})/)?[-+._a-zA-Z0-9]+$`,
    source: { ...REGEX, at: "#npm_package_name_regex; app/models/packages/npm/package.rb validates :name (fdc5ce9)" },
    pinnedBy: PINNED,
  },
  invalidName: {
    behaviour: "publishing a name the regex refuses",
    gitlab: "400 with the model's validation message (older releases prefix `Name is invalid, `)",
    value: {
      status: 400,
      message: "Validation failed: Name should be a valid NPM package name: https://github.com/npm/validate-npm-package-name#naming-rules.",
      error: "Validation failed: Name should be a valid NPM package name: https://github.com/npm/validate-npm-package-name#naming-rules.",
    } satisfies GitLabErrorBody,
    source: { ...PROJECT, at: "rescue_from ActiveRecord::RecordInvalid L18-20; lib/gitlab/regex/packages.rb #npm_package_name_regex_message (a8eb10f)" },
    pinnedBy: PINNED,
  },
  versionRule: {
    behaviour: "which versions a publish may carry",
    gitlab:
      "the key of `versions` must match `semver_regex` (SemVer 2, build metadata allowed, no `v` prefix): else 400 `Validation failed: Version should follow SemVer: https://semver.org`; an empty `versions` gives 400 `Version is empty.`",
    value: { pattern: SEMVER, status: 400, message: "Validation failed: Version should follow SemVer: https://semver.org", empty: "Version is empty." },
    source: { ...REGEX, at: "#semver_regex, #_semver_prerelease_build_regex; create_package_service.rb #execute L21 (e6d27fc)" },
    pinnedBy: PINNED,
  },
  firstVersionOnly: {
    behaviour: "a publish document with more than one version",
    gitlab: "only the first key of `versions` is published; the others are ignored without an error",
    value: "first",
    source: { ...CREATE, at: "#version L85-88, #version_data L90-92" },
    pinnedBy: PINNED,
  },
  bodyName: {
    behaviour: "a publish whose URL name differs from the document's `name`",
    gitlab: "the document's `name` is used; the URL name is not compared with it",
    value: "body",
    source: { ...CREATE, at: "#name L81-83 (params[:name])" },
    pinnedBy: PINNED,
  },
  attachment: {
    behaviour: "the tarball attachment of a publish",
    gitlab:
      "looked up by the exact key `<name>-<version>.tgz` with the full name, scope included (`@scope/pkg-1.0.0.tgz`, as the npm CLI sends it); other attachments (a provenance `.sigstore` bundle) are ignored; `length` is not read; empty `data` gives 400 `Attachment data is empty.` (a missing key raises NoMethodError: a 500, inferred from the code)",
    value: { file: "<name>-<version>.tgz", empty: { status: 400, message: "Attachment data is empty.", error: "Attachment data is empty." } satisfies GitLabErrorBody },
    source: { ...CREATE, at: "#execute L22, #package_file_name L106-109, #attachment L111-114" },
    pinnedBy: PINNED,
  },
  checksums: {
    behaviour: "`dist.shasum` and `dist.integrity` of a publish",
    gitlab: "neither is checked against the tarball: the client's `dist.shasum` is stored as sent and served back; no sha512 or `integrity` is stored or served",
    value: { shasum: "as sent", integrity: false },
    source: { ...CREATE, at: "#file_params L130-138 (file_sha1: version_data[:dist][:shasum])" },
    pinnedBy: PINNED,
  },
  publishTags: {
    behaviour: "the dist-tags of a publish document",
    gitlab: "only the first key of `dist-tags` tags the new version (moving the tag if another version had it); `latest` is not forced, so `npm publish --tag beta` leaves `latest` alone",
    value: "first",
    source: { ...CREATE, at: "#dist_tag L102-104, #create_npm_package! L51 (CreateTagService)" },
    pinnedBy: PINNED,
  },
  latestFill: {
    behaviour: "a package without a `latest` tag",
    gitlab: "the packument and the dist-tags answer fill `latest` in with the highest version",
    value: "highest",
    source: { ...METADATA, at: "#metadata / dist-tags (spec/support/shared_examples/requests/api/npm_packages_tags_shared_examples.rb: two tags + latest auto added, b9359a6)" },
    pinnedBy: PINNED,
  },
  packumentContentType: {
    behaviour: "the packument, asked for with `Accept: application/vnd.npm.install-v1+json` (npm install)",
    gitlab: "the Accept header is not read: one document, always `application/json`; there is no abbreviated form",
    value: "application/json",
    source: { ...PROJECT, at: "get '*package_name' L123-174 (present ... with: ::API::Entities::NpmPackage); spec/support/shared_examples/requests/api/npm_packages_shared_examples.rb 'accept metadata request' media_type application/json (800235c)" },
    pinnedBy: PINNED,
  },
  packumentFields: {
    behaviour: "what the packument holds",
    gitlab:
      "top level only `name`, `versions`, `dist-tags` (no `_id`, `_rev`, `time`, `readme`); each version only `name`, `version`, `dist` with `shasum` and `tarball` (no `integrity`), the dependency maps and `deprecated bin directories engines _hasShrinkwrap hasInstallScript`",
    value: {
      topLevel: ["name", "versions", "dist-tags"],
      dist: ["shasum", "tarball"],
      dependencies: ["dependencies", "devDependencies", "bundleDependencies", "peerDependencies"],
      fields: ["deprecated", "bin", "directories", "engines", "_hasShrinkwrap", "hasInstallScript"],
    },
    source: { ...METADATA, at: "PACKAGE_JSON_ALLOWED_FIELDS, #build_package_version; lib/api/entities/npm_package.rb (495a5c7)" },
    pinnedBy: PINNED,
  },
  tarballUrl: {
    behaviour: "`dist.tarball` in the packument",
    gitlab: "`<project endpoint>/<name>/-/<name>-<version>.tgz`: the scope appears twice (`.../npm/@scope/pkg/-/@scope/pkg-1.0.0.tgz`); always the project URL, also when read at group or instance level",
    value: "<endpoint>/<name>/-/<name>-<version>.tgz",
    source: { ...METADATA, at: "#tarball_url; lib/api/npm_project_packages.rb get '*package_name/-/*file_name' L65 (800235c)" },
    pinnedBy: PINNED,
  },
  unknownPackage: {
    behaviour: "the packument of a package the project does not have",
    gitlab:
      '404 `{"message":"404 Packages Not Found","error":"Packages not found"}` with request forwarding off (the reference); with `npm_package_requests_forwarding` on, 302 to `https://registry.npmjs.org/<name>` (the kit\'s client takes a redirect as "not here")',
    value: { status: 404, message: "404 Packages Not Found", error: "Packages not found" } satisfies GitLabErrorBody,
    source: { ...HELPERS, at: "#not_found! (titleized `404 <resource> not found`); lib/api/npm_project_packages.rb L145-174 redirect_registry_request (800235c)" },
    pinnedBy: PINNED,
  },
  unknownTarball: {
    behaviour: "a tarball the package does not have",
    gitlab: '404 `{"message":"404 Package Not Found","error":"Package not found"}`',
    value: { status: 404, message: "404 Package Not Found", error: "Package not found" } satisfies GitLabErrorBody,
    source: { ...PROJECT, at: "get '*package_name/-/*file_name' L65-80 (not_found!('Package'))" },
    pinnedBy: PINNED,
  },
  anonymousPrivate: {
    behaviour: "an anonymous read of a private project",
    gitlab: "the packument and dist-tags answer 401 (`authenticate_non_public: true`); the tarball answers 404 (its route does not set it, and `user_project` hides the project)",
    value: { metadata: 401 as const, distTags: 401 as const, tarball: 404 as const },
    source: { ...PROJECT, at: "route_setting :authentication on get '*package_name' L142-143 vs get '*package_name/-/*file_name' L63; npm_endpoints.rb dist-tags L80-81" },
    pinnedBy: PINNED,
  },
  anonymousPublic: {
    behaviour: "an anonymous read of a public project",
    gitlab: "packument, tarball and dist-tags answer 200; a publish still needs credentials (401)",
    value: { read: 200, publish: 401 },
    source: { file: "spec/support/shared_examples/requests/api/npm_packages_shared_examples.rb", at: "'handles authentication' (public project, anonymous: ok)", version: at("800235c") },
    pinnedBy: PINNED,
  },
  distTagPut: {
    behaviour: "setting a dist-tag (`PUT /-/package/:name/dist-tags/:tag`, the version as a JSON string)",
    gitlab: "204 No Content for a Developer (`create_package`); an existing tag moves; a version the package lacks gives 404 `Package not found`",
    value: { status: 204, unknownVersion: 404 },
    source: { ...ENDPOINTS, at: "namespace 'dist-tags/:tag' put L104-141" },
    pinnedBy: PINNED,
  },
  distTagDelete: {
    behaviour: "removing a dist-tag (`DELETE /-/package/:name/dist-tags/:tag`)",
    gitlab:
      "204 No Content; needs `destroy_package` (a Maintainer, or a deploy token with write scope): a Developer gets 403; `latest` may be removed too (the packument then shows the highest version as latest); a tag the package lacks gives 404 `Package tag not found`",
    value: { status: 204, developer: 403, unknownTag: { status: 404, message: "404 Package Tag Not Found", error: "Package tag not found" } satisfies GitLabErrorBody },
    source: { ...ENDPOINTS, at: "namespace 'dist-tags/:tag' delete L143-178 (authorize_destroy_package!)" },
    pinnedBy: PINNED,
  },
  noUnpublish: {
    behaviour: "`npm unpublish` (`PUT` or `DELETE /:name/-rev/:rev`)",
    gitlab: "no such routes: 404. Packages are removed through the REST Packages API (`DELETE /projects/:id/packages/:package_id`), which the kit's cleanup uses",
    value: 404,
    source: { ...PROJECT, at: "put ':package_name' with NPM_ENDPOINT_REQUIREMENTS (no slash) L99; the only DELETE is npm_endpoints.rb dist-tags L156" },
    pinnedBy: PINNED,
  },
  missingRoutes: {
    behaviour: "`/-/ping`, `/-/whoami`, `/-/v1/search`, `GET /:name/:version`",
    gitlab: "no such routes: 404 (`npm ping`, `npm whoami` and `npm search` fail against GitLab)",
    value: ["/-/ping", "/-/whoami", "/-/v1/search", "/:name/:version"],
    source: { ...HELPERS, at: "NPM_ENDPOINT_REQUIREMENTS (package_name: NO_SLASH_URL_PART_REGEX); the routes of npm_project_packages.rb and npm_endpoints.rb" },
    pinnedBy: PINNED,
  },
  audit: {
    behaviour: "`npm audit` (`POST /-/npm/v1/security/advisories/bulk` and `/-/npm/v1/security/audits/quick`)",
    gitlab: "with request forwarding off, 200 `[]` for both (the reference); with forwarding on, 307 to registry.npmjs.org; anonymous 401",
    value: { status: 200, body: [] as readonly unknown[] },
    source: { ...ENDPOINTS, at: "#redirect_or_present_audit_report L36-50; post '-/npm/v1/security/advisories/bulk' L198, '-/npm/v1/security/audits/quick' L218" },
    pinnedBy: PINNED,
  },
  credentials: {
    behaviour: "how npm credentials travel (`job_token_allowed: true, deploy_token_allowed: true`)",
    gitlab: "`Authorization: Bearer` carrying a personal, deploy or CI job token (what `_authToken` sends), and the `PRIVATE-TOKEN`, `DEPLOY-TOKEN`, `JOB-TOKEN` headers; a Bearer token nobody issued gives 401",
    value: ["bearer", "headers"] as readonly GitLabAuthScheme[],
    source: { ...AUTH, at: "#find_user_from_bearer_token, #find_user_from_job_bearer_token, #deploy_token_from_request; npm_project_packages.rb route_setting L63, L97, L142 (800235c)" },
    pinnedBy: PINNED,
  },
  basicDeployToken: {
    behaviour: "a deploy token sent as Basic auth",
    gitlab: "accepted, the username ignored (only the password is looked up). A personal or job token in Basic is not read on npm routes (no `basic_auth_personal_access_token`, `job_token_allowed` is not `:basic_auth`)",
    value: "deploy token, username ignored",
    source: { ...AUTH, at: "#deploy_token_from_request (`_, self.current_token = user_name_and_password`), #can_authenticate_job_token_basic_auth?" },
    pinnedBy: PINNED,
  },
  publishAccess: {
    behaviour: "who may publish",
    gitlab: "a Developer (`create_package`) or a deploy token with write scope; a read-only deploy token gets 403; anonymous gets 401 (`authenticate_non_get!`)",
    value: { anonymous: 401, readonly: 403 },
    source: { ...PROJECT, at: "authorize_create_package! L109; npm_endpoints.rb before { authenticate_non_get! } L25-28" },
    pinnedBy: PINNED,
  },
} satisfies Record<string, GitLabFactInput<unknown>>;

/** GitLab's npm behaviours, each with its source (`npm.<key>`). */
export const npmGitLabFacts: GitLabFacts<typeof facts> = defineGitLabFacts("npm", facts);

