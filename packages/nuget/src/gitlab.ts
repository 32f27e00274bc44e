/**
 * GitLab's NuGet registry, one fact at a time: what GitLab answers, and where
 * its source says so. The gitlab profile, the reference registry's NuGet
 * routes, the kit's docs and the "GitLab fidelity" page all read these; each
 * fact is pinned against the reference registry by one test in
 * `test/gitlab-facts.test.ts`.
 *
 * Read from GitLab's source (the public mirror `gitlabhq/gitlabhq`). Files came
 * back at different commits; each fact names the one it was read at.
 *
 * @module
 */
import { defineGitLabFacts } from "@regkit/core";

const PINNED = "packages/nuget/test/gitlab-facts.test.ts";

const at = (commit: string): string => `GitLab 18.x, commit ${commit}`;
const newest = (file: string): string => `GitLab 18.x (${file}, newest stored version)`;

const PROJECT_API = { file: "lib/api/nuget_project_packages.rb", version: at("04027f8") };
const GROUP_API = { file: "lib/api/nuget_group_packages.rb", version: at("05f0ebb") };
const PUBLIC_ENDPOINTS = { file: "lib/api/concerns/packages/nuget/public_endpoints.rb", version: at("0754d9a") };
const PRIVATE_ENDPOINTS = { file: "lib/api/concerns/packages/nuget/private_endpoints.rb", version: at("2f1ec2b") };
const TOKEN_RESOLVER = { file: "lib/gitlab/api_authentication/token_resolver.rb", version: at("41946e6") };
const AUTHENTICATION = { file: "lib/api/helpers/authentication.rb", version: at("1cb0123") };
const BASIC_AUTH = { file: "lib/api/helpers/packages/basic_auth_helpers.rb", version: at("286bddc") };
const SEARCH = { file: "app/services/packages/nuget/search_service.rb", version: at("017a6c1") };
const CREATE = { file: "app/services/packages/nuget/create_or_update_package_service.rb", version: at("7ee195a") };
const FINDER = { file: "app/finders/packages/nuget/package_finder.rb", version: at("0daacd8") };
const SERVICE_INDEX = { file: "app/presenters/packages/nuget/service_index_presenter.rb", version: newest("service_index_presenter.rb") };
const REGEX = { file: "lib/gitlab/regex.rb", version: newest("lib/gitlab/regex.rb") };

/** A service index entry GitLab lists: resource type, path under the feed prefix, comment. */
export interface GitLabServiceEntry {
  readonly type: string;
  readonly service: "search" | "metadata" | "download" | "publish" | "symbol";
  readonly path: string;
  readonly comment: string;
}

const entries = (service: GitLabServiceEntry["service"], path: string, comment: string, types: readonly string[]): GitLabServiceEntry[] =>
  types.map((type) => ({ type, service, path, comment }));

/** The project-level service index, in GitLab's order (search, metadata, download, publish, symbol). */
const SERVICE_ENTRIES: readonly GitLabServiceEntry[] = [
  ...entries("search", "/query", "Filter and search for packages by keyword.", ["SearchQueryService", "SearchQueryService/3.0.0-beta", "SearchQueryService/3.0.0-rc"]),
  ...entries("metadata", "/metadata", "Get package metadata.", ["RegistrationsBaseUrl", "RegistrationsBaseUrl/3.0.0-beta", "RegistrationsBaseUrl/3.0.0-rc"]),
  ...entries("download", "/download", "Get package content (.nupkg).", ["PackageBaseAddress/3.0.0"]),
  ...entries("publish", "", "Push and delete (or unlist) packages.", ["PackagePublish/2.0.0"]),
  ...entries("symbol", "/symbolpackage", "Push symbol packages.", ["SymbolPackagePublish/4.9.0"]),
];

export const nugetGitLabFacts = defineGitLabFacts("nuget", {
  // --- Routes and the service index -------------------------------------------------------
  serviceIndexPaths: {
    behaviour: "the V3 service index",
    gitlab: "`GET <prefix>/index` is declared with `format: :json`, so `/index` and `/index.json` both answer",
    value: ["/index", "/index.json"],
    source: { ...PUBLIC_ENDPOINTS, at: "get 'index', format: :json (L27)" },
    pinnedBy: PINNED,
  },
  serviceIndexPublic: {
    behaviour: "the project's service index, asked anonymously on a private project",
    gitlab: "200: the public endpoints come before `authenticate_with` and authorize nothing (public since GitLab 16.1)",
    value: 200,
    source: { ...PUBLIC_ENDPOINTS, at: "get 'index' (L18-36), included before authenticate_with in nuget_project_packages.rb (L45-48, L206-209)" },
    pinnedBy: PINNED,
  },
  serviceIndexResources: {
    behaviour: "the resources the project's service index lists",
    gitlab:
      "nine entries, each with a `comment`: SearchQueryService (plain, 3.0.0-beta, 3.0.0-rc), RegistrationsBaseUrl (plain, 3.0.0-beta, 3.0.0-rc), PackageBaseAddress/3.0.0, PackagePublish/2.0.0, SymbolPackagePublish/4.9.0; no RegistrationsBaseUrl/3.6.0, no SearchQueryService/3.5.0; version 3.0.0",
    value: SERVICE_ENTRIES,
    source: { ...SERVICE_INDEX, at: "SERVICE_VERSIONS, SERVICE_COMMENTS, PROJECT_LEVEL_SERVICES, GROUP_LEVEL_SERVICES (L8-27)" },
    pinnedBy: PINNED,
  },
  groupFeed: {
    behaviour: "the group-level feed (`/groups/:id/-/packages/nuget`)",
    gitlab:
      "read-only: index, metadata and query only (no download, no push); its service index lists only the search and metadata entries; every group route, the index included, needs authentication (401 anonymous; read from an older group file, newer releases UNCONFIRMED)",
    value: { services: ["search", "metadata"] as const, anonymous: 401 },
    source: { ...GROUP_API, at: "require_authenticated! (L38-40), routes (L56-62); service_index_presenter.rb GROUP_LEVEL_SERVICES" },
    pinnedBy: PINNED,
  },
  groupNoDownload: {
    behaviour: "the flat container (download routes) at group level",
    gitlab: "the group API has no download routes: 404",
    value: 404,
    source: { ...PROJECT_API, at: "namespace 'download' is project-only (L227-279)" },
    pinnedBy: PINNED,
  },
  packageUrls: {
    behaviour: "URLs in registration leaves and search hits",
    gitlab:
      "`@id` = `<project prefix>/metadata/<name as stored>/<version as stored>.json`, `packageContent` = `<project prefix>/download/<name>/<version>/<stored file name>`; always the owning project's prefix (numeric id), also through the group feed",
    value: "project",
    source: { file: "app/presenters/packages/nuget/presenter_helpers.rb", at: "#json_url_for, #archive_url_for", version: at("05f0ebb") },
    pinnedBy: PINNED,
  },
  v2ServiceIndex: {
    behaviour: "`GET <prefix>/v2` (the V2 feed's service document)",
    gitlab: "public XML (`application/xml`), a `<service>` with the Packages collection (since GitLab 16.3)",
    value: "application/xml",
    source: { ...PUBLIC_ENDPOINTS, at: "namespace '/v2', get format: :xml (L45-66)" },
    pinnedBy: PINNED,
  },
  noRelist: {
    behaviour: "relisting (`POST <PackagePublish>/<id>/<version>`)",
    gitlab: "no such route (the delete route is the only one on that path)",
    value: false,
    source: { ...PROJECT_API, at: "routes (no POST on *package_name/*package_version)" },
    pinnedBy: PINNED,
  },

  // --- Push ---------------------------------------------------------------------------------
  pushField: {
    behaviour: "`PUT <prefix>` (V3 push, multipart)",
    gitlab: "the package travels in the multipart field `package` (`requires :package`); without it 400",
    value: "package",
    source: { ...PROJECT_API, at: "params :file_params requires :package (L36-39), put (L309-315)" },
    pinnedBy: PINNED,
  },
  pushCreated: {
    behaviour: "a push GitLab accepts",
    gitlab: '201 with `{"message":"201 Created"}` (`created!`); the package is created synchronously when its .nuspec can be read',
    value: { status: 201, message: "201 Created" },
    source: { ...PROJECT_API, at: "#publish_package, created! (L144-152); #upload_nuget_package_file (L83-105)" },
    pinnedBy: PINNED,
  },
  v2Push: {
    behaviour: "`PUT <prefix>/v2` (V2 push, GitLab 16.2+)",
    gitlab: "the same handler as the V3 push: 201",
    value: 201,
    source: { ...PROJECT_API, at: "namespace '/v2' put (L396-414)" },
    pinnedBy: PINNED,
  },
  symbolPush: {
    behaviour: "`PUT <prefix>/symbolpackage` (a .snupkg)",
    gitlab: "201; the symbol package is attached to the package of the same id and version by a background worker",
    value: 201,
    source: { ...PROJECT_API, at: "put 'symbolpackage' (L346-348), #upload_nuget_package_file (L96-101)" },
    pinnedBy: PINNED,
  },
  duplicatesAllowed: {
    behaviour: "pushing a version that exists (group setting `nuget_duplicates_allowed`)",
    gitlab:
      "allowed by default (the setting defaults to true): the existing package is reused and gets the new file, 201. `nuget_duplicate_exception_regex` turns the setting around for matching names or versions (not modelled by regkit)",
    value: true,
    source: {
      file: "db/migrate/*_add_nuget_duplicate_allowed_to_namespace_package_settings.rb",
      at: "AddNugetDuplicateAllowedToNamespacePackageSettings#up (nuget_duplicates_allowed default: true); create_or_update_package_service.rb #target_package",
      version: newest("the migration"),
    },
    pinnedBy: PINNED,
  },
  duplicateRefused: {
    behaviour: "pushing a version that exists when the group refuses duplicates",
    gitlab: "409 `A package with the same name and version already exists`",
    value: { status: 409, message: "A package with the same name and version already exists" },
    source: { ...CREATE, at: "DUPLICATE_ERROR (L12-15), #execute (L24-27); nuget_project_packages.rb render_api_error! (L106-113)" },
    pinnedBy: PINNED,
  },
  duplicateMatch: {
    behaviour: "what counts as the same version for duplicates",
    gitlab: "the id compared case-insensitively, the version as written (case-insensitively) or by its normalized form: `1.0.0` and `1.0.0.0` are one version",
    value: "normalized",
    source: { file: "app/services/packages/nuget/check_duplicates_service.rb", at: "#target_package_is_duplicate? (L10-17)", version: at("2bae6e5") },
    pinnedBy: PINNED,
  },
  overLimit: {
    behaviour: "pushing a package over `nuget_max_file_size`",
    gitlab:
      "Rails answers 400 `File is too large`; behind Workhorse, the `/authorize` step passes the same maximum and Workhorse may refuse first with 413 (UNCONFIRMED: Workhorse's NuGet path not read). regkit's push.over-limit accepts any 4xx",
    value: { status: 400, message: "400 Bad request - File is too large" },
    source: { ...PROJECT_API, at: "#upload_nuget_package_file bad_request!('File is too large') (L86-88), #authorize_nuget_upload maximum_size (L62-69)" },
    pinnedBy: PINNED,
  },
  maxFileSize: {
    behaviour: "the default NuGet file size limit (plan limit `nuget_max_file_size`)",
    gitlab: "524288000 bytes (500 MiB); admins change it through the plan limits API",
    value: 524_288_000,
    source: { file: "db/structure.sql", at: "plan_limits.nuget_max_file_size DEFAULT 524288000", version: newest("db/structure.sql") },
    pinnedBy: PINNED,
  },
  versionRule: {
    behaviour: "the version a pushed .nuspec declares",
    gitlab:
      "must match `nuget_version_regex`: two or three numeric parts without leading zeros, an optional fourth part of digits, SemVer prerelease and build labels. `1.05.0` and `1` are refused with 400 (a model validation on the synchronous push; inferred from the code, no request spec seen)",
    value: String.raw`^(0|[1-9]\d*)\.(0|[1-9]\d*)(\.(0|[1-9]\d*))?(\.\d*)?(?:-((?:\d*[a-zA-Z-][0-9a-zA-Z-]*|[1-9]\d*|0)(?:\.(?:\d*[a-zA-Z-][0-9a-zA-Z-]*|[1-9]\d*|0))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`,
    source: { ...REGEX, at: "#nuget_version_regex, #_semver_prerelease_build_regex; app/models/packages/nuget/package.rb validates :version (L19-20)" },
    pinnedBy: PINNED,
  },
  nameRule: {
    behaviour: "the id a pushed .nuspec declares",
    gitlab: "must match `nuget_package_name_regex` (letters, digits, `-+._`; a leading `-` or `.` is fine), else 400; the case is kept as written",
    value: String.raw`^[-+._a-zA-Z0-9]+$`,
    source: { ...REGEX, at: "#nuget_package_name_regex; app/models/packages/nuget/package.rb validates :name (L19)" },
    pinnedBy: PINNED,
  },
  storedVersion: {
    behaviour: "the version GitLab keeps for a pushed package",
    gitlab: "the version exactly as the .nuspec writes it (`1.0.0.0`, `1.0.0-Beta`); the normalized, lowercased form goes to `nuget_metadatum.normalized_version`, used for lookups",
    value: "as-written",
    source: { ...CREATE, at: "#create_new_package (version: metadata[:package_version]); app/models/packages/nuget/metadatum.rb (L4, L38)" },
    pinnedBy: PINNED,
  },

  // --- Reads ----------------------------------------------------------------------------------
  flatContainerVersions: {
    behaviour: "the flat container's version list (`GET <prefix>/download/<id>/index`)",
    gitlab: "the stored versions (as written: neither normalized nor lowercased) in plain string order (`10.0.0` before `2.0.0`); NuGet's protocol asks for normalized, lowercased versions",
    value: { form: "as-written", order: "string" },
    source: { file: "app/presenters/packages/nuget/packages_versions_presenter.rb", at: "#versions: pluck_versions.sort (L10-12)", version: at("6110935") },
    pinnedBy: PINNED,
  },
  flatContainerIndexPaths: {
    behaviour: "the flat container and registration index paths",
    gitlab: "`format: :json` on `download/*package_name/index` and `metadata/*package_name/index`: with or without `.json`",
    value: ["/index", "/index.json"],
    source: { ...PROJECT_API, at: "get '*package_name/index', format: :json (L227-245); private_endpoints.rb get 'index' (L46)" },
    pinnedBy: PINNED,
  },
  versionCap: {
    behaviour: "how many versions of one package GitLab lists (flat container, registration)",
    gitlab: "at most 300 (`MAX_PACKAGES_COUNT`), through `limit_recent`: the most recently created (the scope itself not read)",
    value: 300,
    source: { ...FINDER, at: "MAX_PACKAGES_COUNT = 300, #packages (L8, L14)" },
    pinnedBy: PINNED,
  },
  noFlatNuspec: {
    behaviour: "`GET <prefix>/download/<id>/<version>/<id>.nuspec`",
    gitlab: "404: the download route takes only `format: [:nupkg, :snupkg]`; NuGet's PackageBaseAddress resource includes the .nuspec download",
    value: 404,
    source: { ...PROJECT_API, at: "get '*package_name/*package_version/*package_filename', format: [:nupkg, :snupkg] (L263-279)" },
    pinnedBy: PINNED,
  },
  download: {
    behaviour: "downloading a .nupkg",
    gitlab: "200 `application/octet-stream`, streamed (`supports_direct_download: false`: never a redirect, NuGet clients do not follow 302)",
    value: "application/octet-stream",
    source: { ...PROJECT_API, at: "present_package_file!(…, supports_direct_download: false) (L263-279)" },
    pinnedBy: PINNED,
  },
  versionLookup: {
    behaviour: "finding a version in the download and registration routes",
    gitlab: "the version as written (case-insensitively) or the normalized form, lowercased (`0.1` is found as `0.1.0`); in a download the file name's version is swapped for the stored one",
    value: "as-written-or-normalized",
    source: { ...FINDER, at: "#find_by_version, #client_forces_normalized_version?; nuget_project_packages.rb (L166-172, L263-268)" },
    pinnedBy: PINNED,
  },
  idsCaseInsensitive: {
    behaviour: "package ids in lookups",
    gitlab: "matched case-insensitively everywhere (`with_case_insensitive_name`)",
    value: true,
    source: { ...FINDER, at: "#find_by_name" },
    pinnedBy: PINNED,
  },

  // --- Search ---------------------------------------------------------------------------------
  searchTake: {
    behaviour: "`take` of `GET <prefix>/query`",
    gitlab: "at most 30 results (`MAX_PER_PAGE`); default 20 (Kaminari's default_per_page)",
    value: 30,
    source: { ...SEARCH, at: "MAX_PER_PAGE (L9), #per_page" },
    pinnedBy: PINNED,
  },
  searchBadPaging: {
    behaviour: "`take=0` or a negative `skip`",
    gitlab: "400 (the params' regexps and `values` checks)",
    value: 400,
    source: { ...PRIVATE_ENDPOINTS, at: "NON_NEGATIVE_INTEGER_REGEX on skip, POSITIVE_INTEGER_REGEX on take (L19-20, params of /query)" },
    pinnedBy: PINNED,
  },
  searchPrerelease: {
    behaviour: "`prerelease` of the search, when absent",
    gitlab: "true: prerelease versions are included unless `prerelease=false` (NuGet's protocol default is false; clients send it explicitly)",
    value: true,
    source: { ...PRIVATE_ENDPOINTS, at: "optional :prerelease, type: Boolean, default: true (params of /query); search_service.rb DEFAULT_OPTIONS include_prerelease_versions: true" },
    pinnedBy: PINNED,
  },
  searchMatchesId: {
    behaviour: "what `q` matches",
    gitlab: "the package id only (`search_by_name`), not the description; an empty `q` lists every package",
    value: "id",
    source: { ...SEARCH, at: "#execute search_by_name (L97)" },
    pinnedBy: PINNED,
  },
  searchVersionsPerHit: {
    behaviour: "versions listed per search hit",
    gitlab: "at most 10, the most recently created (`ROW_NUMBER() OVER (… ORDER BY created_at DESC) <= 10`)",
    value: 10,
    source: { ...SEARCH, at: "MAX_VERSIONS_PER_PACKAGE (L10), #search_packages, #package_names_partition" },
    pinnedBy: PINNED,
  },

  // --- Credentials ----------------------------------------------------------------------------
  readCredentials: {
    behaviour: "credentials on reads (flat container, registration, search)",
    gitlab: "HTTP Basic only (personal, deploy and job tokens with their usernames); PRIVATE-TOKEN, DEPLOY-TOKEN, JOB-TOKEN headers and X-NuGet-ApiKey are ignored",
    value: ["basic"],
    source: { ...PROJECT_API, at: "authenticate_with (L211-217); api_guard.rb #find_user_from_sources (L73-85, commit 017a6c1)" },
    pinnedBy: PINNED,
  },
  writeCredentials: {
    behaviour: "credentials on push, V2 push, symbol push and delete",
    gitlab: "Basic, or `X-NuGet-ApiKey` carrying a personal, deploy or job token (no username)",
    value: ["basic", "apiKey"],
    source: { ...PROJECT_API, at: "API_KEY_HEADER = 'X-Nuget-Apikey' (L21), authenticate_with for the write routes (L286-294)" },
    pinnedBy: PINNED,
  },
  twoCredentials: {
    behaviour: "Basic and X-NuGet-ApiKey on one push or delete",
    gitlab: "400 `Found more than one set of credentials`",
    value: { status: 400, message: "Found more than one set of credentials" },
    source: { ...AUTHENTICATION, at: "#token_from_namespace_inheritable (≈29-31)" },
    pinnedBy: PINNED,
  },
  basicUsernames: {
    behaviour: "the Basic username of a personal or deploy token",
    gitlab:
      "checked: a personal token needs its owner's username (case-insensitive, for NuGet on Windows), a deploy token its own username (exact); any other username gets 401. A job token needs `gitlab-ci-token`",
    value: "checked",
    source: { ...TOKEN_RESOLVER, at: "#resolve_personal_access_token_with_username (L73-90, casecmp? L86), #resolve_deploy_token_with_username (L101-112)" },
    pinnedBy: PINNED,
  },
  invalidCredentials: {
    behaviour: "a Basic password or API key nobody issued",
    gitlab: "401, also on a public project (a located credential that resolves to nothing raises UnauthorizedError); blank Basic parts count as no credentials",
    value: 401,
    source: { ...AUTHENTICATION, at: "rescue UnauthorizedError (≈38-41), #find_token_from_raw_credentials; token_locator.rb #extract_from_http_basic_auth (≈73-78, commit 2b2854c)" },
    pinnedBy: PINNED,
  },
  unknownProject: {
    behaviour: "a request for a project that does not exist",
    gitlab: "anonymous: 401 (the NuGet routes authenticate before they look the project up); authenticated: 404; the public service index: 404",
    value: { anonymous: 401, authenticated: 404, serviceIndex: 404 },
    source: { ...BASIC_AUTH, at: "#authorized_project_find! / unauthorized_or! (≈24-26); nuget_project_packages.rb authenticate_with (≈45-48)" },
    pinnedBy: PINNED,
  },
  anonymousPrivate: {
    behaviour: "an anonymous read or push on a private project",
    gitlab: '401 with `WWW-Authenticate: Basic realm="GitLab Packages Registry"`',
    value: 401,
    source: { ...BASIC_AUTH, at: "#unauthorized_or!, #unauthorized! (L10-11, L60-67)" },
    pinnedBy: PINNED,
  },
  anonymousPublic: {
    behaviour: "anonymous requests to a public project",
    gitlab: "reads are served (200); a push still gets 401",
    value: { read: 200, push: 401 },
    source: { ...BASIC_AUTH, at: "#authorized_project_find! (L29-35), #authorize_upload! (L54-62)" },
    pinnedBy: PINNED,
  },
  nonMember: {
    behaviour: "a valid token of someone who is not a member of the private project",
    gitlab: "404 (read and push)",
    value: 404,
    source: { ...BASIC_AUTH, at: "unauthorized_or! { not_found! } (L23-41)" },
    pinnedBy: PINNED,
  },

  // --- Delete ---------------------------------------------------------------------------------
  deleteAccess: {
    behaviour: "`DELETE <prefix>/<id>/<version>` (GitLab 16.5+)",
    gitlab: "`authorize_destroy_package!`: a Maintainer (personal token, a Maintainer's job token) or a deploy token with write scope gets 204 No Content (the package is marked for destruction); a Developer gets 403",
    value: { status: 204, developer: 403 },
    source: { ...PROJECT_API, at: "delete '*package_name/*package_version' (L364-394), authorize_destroy_package! (L380-381)" },
    pinnedBy: PINNED,
  },
  deleteUnknown: {
    behaviour: "deleting a version that does not exist",
    gitlab: "404 (`not_found!('Package')`)",
    value: 404,
    source: { file: "lib/api/helpers/packages/nuget.rb", at: "#find_package", version: at("d26aaa2") },
    pinnedBy: PINNED,
  },
  deleteInvalidPath: {
    behaviour: "a delete whose id or version breaks GitLab's NuGet rules",
    gitlab: "400 (the route's `nuget_package_name_regex` and `nuget_version_regex` requirements)",
    value: 400,
    source: { ...PROJECT_API, at: "delete params regexp (L374-379)" },
    pinnedBy: PINNED,
  },
});

export type NuGetGitLabFacts = typeof nugetGitLabFacts;

/** GitLab's NuGet version rule (`nuget_version_regex`). */
export const gitlabNuGetVersion = new RegExp(nugetGitLabFacts.versionRule.value);
/** GitLab's NuGet id rule (`nuget_package_name_regex`). */
export const gitlabNuGetName = new RegExp(nugetGitLabFacts.nameRule.value);
