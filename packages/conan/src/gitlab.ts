/**
 * GitLab's Conan registry, one fact at a time, each with the place in GitLab's
 * source that defines it. The gitlab profile, the reference registry's Conan
 * routes and the docs read them here; `test/gitlab-facts.test.ts` pins the
 * reference registry to each.
 *
 * Read from the public mirror `gitlabhq/gitlabhq` (GitLab 18.x, December
 * 2026): where the mirror's file listing names a commit it is given; "newest
 * stored text" marks a file read at its newest stored version.
 *
 * @module
 */
import { defineGitLabFacts } from "@regkit/core";

const PINNED = "packages/conan/test/gitlab-facts.test.ts";
const V2 = { file: "lib/api/conan/v2/project_packages.rb", version: "GitLab 18.x source, commit 63dd125" };
const SHARED = { file: "lib/api/concerns/packages/conan/shared_endpoints.rb", version: "GitLab 18.x source, commit 017a6c1" };
const V1 = { file: "lib/api/concerns/packages/conan/v1_endpoints.rb", version: "GitLab 18.x source, commit 04e80ac" };
const HELPERS = { file: "lib/api/helpers/packages/conan/api_helpers.rb", version: "GitLab 18.x source, commit 093fadf" };
const REGEX = { file: "lib/gitlab/regex/packages.rb", version: "GitLab 18.x source, commit a8eb10f" };
const METADATUM = { file: "app/models/packages/conan/metadatum.rb", version: "GitLab 18.x source, commit 00a46ce" };
const SEARCH = { file: "app/services/packages/conan/search_service.rb", version: "GitLab 18.x source, commit 5558389" };
const FINDER = { file: "app/finders/packages/conan/package_finder.rb", version: "GitLab 18.x source, commit 0872cde" };
const PRESENTER = { file: "app/presenters/packages/conan/package_presenter.rb", version: "GitLab 18.x source, commit 093fadf" };
const SPEC = { file: "spec/support/shared_examples/requests/api/conan_packages_shared_examples.rb", version: "GitLab 18.x source, commit b794758" };
const INSTANCE = { file: "lib/api/conan_instance_packages.rb", version: "GitLab 18.x source, commit 43a25d9" };
const INSTANCE_SPEC = { file: "spec/requests/api/conan_instance_packages_spec.rb", version: "GitLab 18.x source, commit 6ed4ec3" };

/** `conan_name_regex`: a name, version, user or channel (2 to 50 characters). */
const COMPONENT = /^[a-zA-Z0-9_][a-zA-Z0-9_+.-]{1,49}$/;
/** `conan_recipe_user_channel_regex`: `_` (none) or a component. */
const USER_CHANNEL = /^(?:_|[a-zA-Z0-9_][a-zA-Z0-9_+.-]{1,49})$/;
/** `conan_revision_regex_v2`: an MD5 (hash mode) or a SHA-1 (scm mode), hex. */
const REVISION = /^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{40})$/;
/** `conan_package_reference_regex`: the package id. */
const PACKAGE_REFERENCE = /^[A-Za-z0-9]+$/;

export const conanGitLabFacts = defineGitLabFacts("conan", {
  routes: {
    behaviour: "the Conan v2 endpoints GitLab serves",
    gitlab:
      "`/projects/:id/packages/conan/v2/...` at project level only: `users/authenticate`, `users/check_credentials`, `conans/search`, and under `conans/:name/:version/:user/:channel`: `latest`, `revisions`, `revisions/:rrev` (DELETE), `revisions/:rrev/files[/:file]` (GET, PUT), `revisions/:rrev/search`, `revisions/:rrev/packages/:pkgid/latest`, `.../packages/:pkgid/revisions[/:prev]` (GET list, DELETE), `.../revisions/:prev/files[/:file]` (GET, PUT). No v2 at instance level (lib/api/conan has v1/instance_packages.rb only). Until 18.3 behind the `conan_package_revisions_support` flag (404 when off)",
    value: { levels: ["project"], featureFlag: "conan_package_revisions_support" },
    source: { ...V2, at: "namespace ':id/packages/conan/v2' > namespace 'conans/:package_name/:package_version/:package_username/:package_channel'; before { Feature.disabled?(:conan_package_revisions_support) → not_found! }" },
    pinnedBy: PINNED,
  },
  ping: {
    behaviour: "`GET …/conan/v1/ping`, which the Conan 2 client calls first",
    gitlab: "200 with `X-Conan-Server-Capabilities: revisions`, without credentials (older GitLab answered the header empty, which Conan 2 refuses: the request spec at b794758 still expects `\"\"`)",
    value: { status: 200, header: "x-conan-server-capabilities", capabilities: "revisions" },
    source: { ...V1, at: "get 'ping': header 'X-Conan-Server-Capabilities', x_conan_server_capabilities_header (['revisions']); skip_granular_token_authorization: :public_endpoint" },
    pinnedBy: PINNED,
  },
  authenticate: {
    behaviour: "`GET …/v2/users/authenticate` with Basic credentials",
    gitlab:
      "200 `text/plain` with a token (a JWT wrapping the personal, deploy or job token: Gitlab::ConanToken#to_jwt) the client then sends as `Authorization: Bearer`; no credentials, or credentials GitLab does not know, 401 (`authenticate!`, `unauthorized! unless token`)",
    value: { status: 200, contentType: "text/plain", unauthenticated: 401 },
    source: { ...SHARED, at: "namespace 'users' { before { authenticate! }; get 'authenticate' { unauthorized! unless token; token.to_jwt } }; api_helpers.rb #token" },
    pinnedBy: PINNED,
  },
  checkCredentials: {
    behaviour: "`GET …/v2/users/check_credentials`",
    gitlab: "200 `ok` for a known credential (Basic or the Bearer token), 401 otherwise",
    value: { status: 200, body: "ok", unauthenticated: 401 },
    source: { ...SHARED, at: "get 'check_credentials' { :ok } under namespace 'users' (before { authenticate! })" },
    pinnedBy: PINNED,
  },
  credentials: {
    behaviour: "how credentials travel on the Conan routes",
    gitlab:
      "HTTP Basic (a personal access token under any username, a deploy token, `gitlab-ci-token` with a job token) or `Authorization: Bearer` with the token `users/authenticate` issued. The PRIVATE-TOKEN, DEPLOY-TOKEN and JOB-TOKEN headers are not read: the Conan helpers override the finders to look only at the Conan JWT and Basic. Deploy tokens are accepted (the protocol notes' \"no deploy tokens\" is outdated)",
    value: { basic: true, bearer: true, headers: false, deployTokens: true },
    source: {
      ...HELPERS,
      at: "#access_token_from_request (find_personal_access_token_from_conan_jwt || find_password_from_basic_auth), #deploy_token_from_request, #find_job_from_token, #find_oauth_access_token (empty override)",
    },
    pinnedBy: PINNED,
  },
  anonymousRead: {
    behaviour: "a Conan read without credentials",
    gitlab:
      "a private project's recipe and package routes answer 404 (the project is hidden: 'denies download with no token'), a public project's 200 ('allows download with no token'); a Guest gets 403. The Conan client therefore logs in first (`conan remote login`): it does not retry a 404 with credentials",
    value: { privateProject: 404, publicProject: 200, guest: 403 },
    source: { file: "spec/support/shared_examples/requests/api/conan_packages_shared_examples.rb", at: "'denies download with no token' (not_found), 'a public project with packages', 'a private project with packages' ('denies download when not enough permissions': forbidden)", version: "GitLab 18.x source, commit b794758" },
    pinnedBy: PINNED,
  },
  componentRule: {
    behaviour: "the recipe name and version in a URL",
    gitlab: "`conan_recipe_component_regex` = `\\A[a-zA-Z0-9_][a-zA-Z0-9_\\+\\.-]{1,49}\\z` (2 to 50 characters); anything else is 400 from Grape's validation",
    value: COMPONENT,
    source: { ...REGEX, at: "#conan_recipe_component_regex, private #conan_name_regex; shared_endpoints.rb PACKAGE_COMPONENT_REGEX" },
    pinnedBy: PINNED,
  },
  userChannelRule: {
    behaviour: "the recipe user and channel",
    gitlab:
      "`conan_recipe_user_channel_regex`: `_` or a component; both `_` or neither (`validate_username_and_channel`: 400 `username can't be solely blank` / `channel can't be solely blank`). A project-level recipe may use `_/_` (Conan 2's `name/version`); at instance level the user must be the project path with `+` (`_` is 404)",
    value: { rule: USER_CHANNEL, none: "_", mixedNone: 400 },
    source: { ...METADATUM, at: "NONE_VALUE = '_', .validate_username_and_channel, .full_path_from; api_helpers.rb #check_username_channel" },
    pinnedBy: PINNED,
  },
  revisionRule: {
    behaviour: "a recipe or package revision in a URL",
    gitlab: "`conan_revision_regex_v2`: 32 hex digits (Conan's `hash` revision mode, the manifest's MD5) or 40 (`scm` mode, a commit id); the v2 routes also take v1's `0` (`conan_revision_regex_combined`); anything else 400",
    value: REVISION,
    source: { ...REGEX, at: "#conan_revision_regex_v2, #conan_revision_regex (\\A0\\z); v2 project_packages.rb requires :recipe_revision, regexp: conan_revision_regex_combined" },
    pinnedBy: PINNED,
  },
  packageReferenceRule: {
    behaviour: "a package id (`conan_package_reference`) in a URL",
    gitlab: "`conan_package_reference_regex`: `\\A[A-Za-z0-9]+\\z`; else 400",
    value: PACKAGE_REFERENCE,
    source: { ...REGEX, at: "#conan_package_reference_regex; v2 project_packages.rb requires :conan_package_reference" },
    pinnedBy: PINNED,
  },
  fileNames: {
    behaviour: "the file names the v2 file routes take",
    gitlab: "recipe files `conanfile.py`, `conanmanifest.txt`, `conan_sources.tgz`, `conan_export.tgz`; package files `conaninfo.txt`, `conanmanifest.txt`, `conan_package.tgz`; the routes take the union (`values: CONAN_FILES`), anything else 400",
    value: { recipe: ["conanfile.py", "conanmanifest.txt", "conan_sources.tgz", "conan_export.tgz"], package: ["conaninfo.txt", "conanmanifest.txt", "conan_package.tgz"], invalid: 400 },
    source: { ...REGEX, at: "CONAN_RECIPE_FILES, CONAN_PACKAGE_FILES; shared_endpoints.rb CONAN_FILES" },
    pinnedBy: PINNED,
  },
  upload: {
    behaviour: "`PUT …/revisions/:rrev/files/:file` (and the package file route) with the raw file as body",
    gitlab:
      "200 with the stored package file as JSON (Workhorse turns the body into the `file` param); the recipe (and its revision, package reference, package revision) is created on the first file. Read-only credentials 403, none 401",
    value: { status: 200 },
    source: { ...HELPERS, at: "#upload_package_file (authorize_upload!, find_or_create_package, create_package_file_with_type); v2 project_packages.rb put urgency: :low { upload_package_file(:recipe_file) }" },
    pinnedBy: PINNED,
  },
  emptyFiles: {
    behaviour: "uploading an empty file (a 0-byte `conaninfo.txt`, which Conan 2 writes for a recipe with no settings, options or requirements)",
    gitlab:
      "answered 200 but not stored (\"conan sends two upload requests, the first has no file, so we skip record creation if file.size == 0\"): the revision's file list lacks it, and `conan install` of such a package fails with `Corrupted …: no conaninfo.txt`",
    value: { status: 200, stored: false },
    source: { ...HELPERS, at: "#create_package_file_with_type `unless params[:file].empty_size?`" },
    pinnedBy: PINNED,
  },
  duplicates: {
    behaviour: "uploading a recipe or package revision (or a file of one) that is already stored",
    gitlab:
      "accepted: revisions are upserted (`UpsertRecipeRevisionService` skips the uniqueness validation) and each upload adds a package file (no duplicate check, no `conan_duplicates_allowed` setting). A new recipe revision of the same version is the way Conan re-publishes; the newest revision is `latest`",
    value: "allow",
    source: { file: "app/services/packages/conan/upsert_recipe_revision_service.rb", at: "#execute `recipe_revision.validate!(:upsert)` then RecipeRevision.upsert; create_package_file_service.rb package.package_files.build … save!", version: "GitLab 18.x source, commit ba00d50 (create_package_file_service.rb 093fadf)" },
    pinnedBy: PINNED,
  },
  latest: {
    behaviour: "`GET …/latest` and `GET …/packages/:pkgid/latest`",
    gitlab: "200 `{\"revision\", \"time\"}` of the most recently created revision (`order_by_id_desc.first`); an unknown recipe 404 `Package`, no revision 404 `Revision`",
    value: { status: 200, missing: 404 },
    source: { ...V2, at: "namespace 'latest' get { not_found!('Package') unless package; latest_recipe_revision … not_found!('Revision') }; #latest_recipe_revision" },
    pinnedBy: PINNED,
  },
  revisionsList: {
    behaviour: "`GET …/revisions` and `GET …/packages/:pkgid/revisions`",
    gitlab: "200 `{\"reference\": \"name/version@user/channel\", \"revisions\": [{\"revision\", \"time\"}, …]}`, newest first (package revisions: `order_by_id_desc`, at most 1000); an unknown recipe 404",
    value: { status: 200, order: "newest first", max: 1000, missing: 404 },
    source: { ...V2, at: "namespace 'revisions' get { present package, with: RecipeRevisions }; package revisions `order_by_id_desc.limit(MAX_PACKAGE_REVISIONS_COUNT)`" },
    pinnedBy: PINNED,
  },
  files: {
    behaviour: "`GET …/revisions/:rrev/files` and a file of it",
    gitlab: "the list is `{\"files\": {\"conanfile.py\": {}, …}}`, 404 `Recipe files` when the revision has none; a file is served as stored, 404 when absent",
    value: { status: 200, missing: 404 },
    source: { ...V2, at: "namespace 'files' get { files = package_files(conan_file_type: :recipe_file, recipe_revision:); not_found!('Recipe files') if files.empty? }; get ':file_name' { download_package_file(:recipe_file) }" },
    pinnedBy: PINNED,
  },
  search: {
    behaviour: "`GET …/v2/conans/search?q=`",
    gitlab:
      "200 `{\"results\": [\"name/version@user/channel\", …]}`. The query splits on `@` and `/` into name, version, user; `*` is a wildcard; the name is matched with SQL LIKE (case-insensitive), the version exactly unless it has `*`. `q=*` alone answers no results; more than 5 wildcards or 200 characters is 400. At most 500 packages, the most recent",
    value: { status: 200, wildcard: "*", bareWildcardEmpty: true, maxWildcards: 5, maxLength: 200, tooMany: 400, max: 500 },
    source: { ...SEARCH, at: "#search_results (return [] if wildcard_query?), MAX_WILDCARD_COUNT, MAX_SEARCH_TERM_LENGTH; package_finder.rb (commit 0872cde) #initialize split(%r{[@/]}), #packages with_name_like, MAX_PACKAGES_COUNT" },
    pinnedBy: PINNED,
  },
  deleteRevision: {
    behaviour: "`DELETE …/revisions/:rrev`",
    gitlab: "200 (\"Conan cli expects 200\"); the last revision deletes the whole recipe; needs destroy rights (a Maintainer), else 403; unknown 404",
    value: { status: 200, forbidden: 403, missing: 404 },
    source: { ...V2, at: "namespace ':recipe_revision' delete { authorize_destroy_package!; … status 200 }" },
    pinnedBy: PINNED,
  },
  maxFileSize: {
    behaviour: "the default largest Conan file (plan limit `conan_max_file_size`)",
    gitlab: "3221225472 bytes (3 GiB); a larger file is 400 `File is too large` (Workhorse refuses with 413 first, told `maximum_size` at authorize)",
    value: { bytes: 3 * 1024 ** 3, status: 400, message: "400 Bad request - File is too large", workhorse: 413 },
    source: { ...HELPERS, at: "#upload_package_file `bad_request!('File is too large') if project.actual_limits.exceeded?(:conan_max_file_size, …)`; plan limits conan_max_file_size: 3221225472 (GitLab's plan-limits attribute listing)" },
    pinnedBy: PINNED,
  },
  v1Routes: {
    behaviour: "the Conan v1 endpoints GitLab still serves",
    gitlab:
      "`/projects/:id/packages/conan/v1/...` (lib/api/conan_project_packages.rb) and `/packages/conan/v1/...` (instance, user = project path with `+`): `ping`, `users/authenticate`, `users/check_credentials`, `conans/search` (the shared endpoints), under `conans/:name/:version/:user/:channel` the recipe snapshot (GET), `digest`, `download_urls`, `upload_urls` (POST), recipe DELETE, `packages/:pkgid` snapshot, `packages/:pkgid/digest`, `.../download_urls`, `.../upload_urls` (POST); and the file routes `files/:name/:version/:user/:channel/:recipe_revision/export/:file_name` and `.../:recipe_revision/package/:pkgid/:package_revision/:file_name` (GET, PUT). The recipe revision of the file routes is `conan_revision_regex`, `0` only (\"GitLab does not yet support Conan revisions\"), anything else 400; v1 uploads are revision `0` (FileMetadatum::DEFAULT_REVISION)",
    value: { prefix: "/v1", revision: "0", levels: ["project", "instance"], badRevision: 400 },
    source: { ...V1, at: "namespace 'conans/:package_name/:package_version/:package_username/:package_channel' { get 'packages/:conan_package_reference', get, get 'digest', get 'download_urls', post 'upload_urls', delete }; namespace 'files/…/:recipe_revision' (requires :recipe_revision, regexp: Gitlab::Regex.conan_revision_regex) { 'export/:file_name', 'package/:conan_package_reference/:package_revision/:file_name' }" },
    pinnedBy: PINNED,
  },
  v1Snapshot: {
    behaviour: "`GET …/v1/conans/:name/:version/:user/:channel` (recipe snapshot) and `…/packages/:pkgid` (package snapshot)",
    gitlab:
      "200 with a JSON object of file name → the stored file's MD5: the recipe files for the recipe, the package files of that package id for the package (the client diffs it to decide what to upload); a recipe GitLab does not have answers 200 `{}` ('empty recipe for not found package'); a private project to an anonymous reader 404",
    value: { status: 200, unknown: {} },
    source: { ...PRESENTER, at: "#recipe_snapshot (package_file.file_md5 if recipe_file?), #package_snapshot (matching_reference?), #map_package_files; v1_endpoints.rb present presenter, with: RecipeSnapshot / PackageSnapshot; spec (" + SPEC.file + ", " + SPEC.version + ") 'empty recipe for not found package' (eq(\"{}\"))" },
    pinnedBy: PINNED,
  },
  v1DownloadUrls: {
    behaviour: "`GET …/v1/conans/…/download_urls` and `…/digest` (recipe), `…/packages/:pkgid/download_urls` and `…/digest` (package)",
    gitlab:
      "200 with a JSON object of file name → absolute URL of the v1 file route, built from the request's host (`expose_url`): `<origin>/api/v4/projects/:id/packages/conan/v1/files/<name>/<version>/<user>/<channel>/<rrev>/export/<file>` for recipe files, `…/<rrev>/package/<pkgid>/<prev>/<file>` for package files (revision `0` for v1 uploads); digest answers the same; none 404 `No recipe manifest found`",
    value: { status: 200, exportPath: "/v1/files/:name/:version/:user/:channel/:rrev/export/:file", packagePath: "/v1/files/:name/:version/:user/:channel/:rrev/package/:pkgid/:prev/:file", missing: 404, message: "No recipe manifest found" },
    source: { ...HELPERS, at: "#present_download_urls (render_api_error!('No recipe manifest found', 404) if yield(presenter).empty?), #recipe_file_url / #package_file_url (expose_url(api_v4_projects_packages_conan_v1_files_export_path …)); package_presenter.rb #recipe_urls, #package_urls; spec 'recipe download_urls', 'package download_urls'" },
    pinnedBy: PINNED,
  },
  v1UploadUrls: {
    behaviour: "`POST …/v1/conans/…/upload_urls` and `…/packages/:pkgid/upload_urls` with a JSON object of file name → size",
    gitlab:
      "200 with file name → absolute upload URL (revision `0`, package revision `0`) for each requested name that is a recipe file (resp. a package file), others left out ('returns upload urls only for the valid requested files'); a body that is no JSON object 400 ('rejects invalid upload_url params'); needs read access (authorize_read_package!), no credentials 401 (authenticate_non_get!)",
    value: { status: 200, revision: "0", notAnObject: 400, unauthenticated: 401 },
    source: { ...HELPERS, at: "#recipe_upload_urls, #package_upload_urls (file_names.select(&method(:recipe_file?)).index_with …), #url_options (recipe_revision: DEFAULT_REVISION), #build_package_file_upload_url (package_revision: DEFAULT_REVISION), #file_names (json_payload.keys, StandardError → bad_request!); v1_endpoints.rb post 'upload_urls' { status 200 }" },
    pinnedBy: PINNED,
  },
  v1Delete: {
    behaviour: "`DELETE …/v1/conans/:name/:version/:user/:channel`",
    gitlab: "the whole recipe (every revision and package) is destroyed, 200; needs destroy rights (a Maintainer), else 403. An unknown recipe: GitLab calls `package.destroy` on nil (a 500); the reference answers 404 `Package`",
    value: { status: 200, forbidden: 403, missing: 404 },
    source: { ...V1, at: "delete urgency: :low { authorize!(:destroy_package, project); … package.destroy }; spec 'delete package endpoint' ('returns unauthorized for users without valid permission': forbidden)" },
    pinnedBy: PINNED,
  },
  instanceLevel: {
    behaviour: "the v1 endpoints at instance level, `/api/v4/packages/conan/v1/...`, and the project a recipe names there",
    gitlab:
      "the same v1 endpoints as at project level (`namespace 'packages/conan/v1' { include ConanEndpoints }`), the project found from the recipe's user: `full_path_from(package_username:)` turns `+` into `/` (`name/1.0@group+project/stable` is project `group/project`), then `find_project!` (404 when there is no such project or the caller cannot see it: 'project not found by recipe'). A user `_` is 404 before anything else (`check_username_channel`: \"at the instance level, username must not be empty\"), so `_/_` and `_/channel` are 404 where the project level answers 200 and 400; `user/_` stays 400 (`channel can't be solely blank`). The file URLs `download_urls` and `upload_urls` answer are the instance ones (`api_v4_packages_conan_v1_files_export_path`, no project id)",
    value: { prefix: "/v1", separator: "+", unknownProject: 404, noneUser: 404, noneChannel: 400, filesBase: "/api/v4/packages/conan/v1/files" },
    source: {
      ...HELPERS,
      at: `#project (when :instance: find_project!(Metadatum.full_path_from(package_username:))), #check_username_channel (NONE_VALUE && package_scope == :instance → not_found!), #package_scope, #recipe_file_url / #package_file_url (when :instance); ${INSTANCE.file} (${INSTANCE.version}) namespace 'packages/conan/v1'; ${METADATUM.file} (${METADATUM.version}) .full_path_from, .package_username_from; ${INSTANCE_SPEC.file} (${INSTANCE_SPEC.version}) 'project not found by recipe'; ${SPEC.file} (${SPEC.version}) 'handling empty values for username and channel' (:ok_or_not_found, :bad_request_or_not_found)`,
      version: HELPERS.version,
    },
    pinnedBy: PINNED,
  },
  instanceSearch: {
    behaviour: "`GET /api/v4/packages/conan/v1/conans/search?q=` at instance level",
    gitlab:
      "the project-level search rules over every project the caller can read (`search_project` is nil); when the query names a user (`name/version@group+project`, its third part), only that project's recipes, and none when that project does not exist or the caller cannot read it (`projects_available_in_current_context` answers nil)",
    value: { status: 200, scopedByUser: true, otherProject: [] as readonly string[] },
    source: { ...FINDER, at: `#initialize (@name, @version, @username = query.split(%r{[@/]})), #base (for_projects(project || projects_available_in_current_context)), #projects_available_in_current_context, #project_from_path (full_path_from); ${INSTANCE.file} (${INSTANCE.version}) helpers { def search_project; nil; end }` },
    pinnedBy: PINNED,
  },
});
