/**
 * GitLab's Maven repository, one fact at a time, each with the place in
 * GitLab's source that defines it. The gitlab profiles, the reference
 * registry's Maven routes and the generated "GitLab fidelity" page read them
 * here; `test/gitlab-facts.test.ts` pins the reference registry to each.
 *
 * Read from the public mirror `gitlabhq/gitlabhq` (GitLab 18.x). The shared
 * facts (realm, Basic usernames, invalid credentials, who may delete) are
 * `GITLAB_FACTS` of @regkit/core.
 *
 * @module
 */
import { defineGitLabFacts } from "@regkit/core";

const PINNED = "packages/maven/test/gitlab-facts.test.ts";
const API = { file: "lib/api/maven_packages.rb", version: "GitLab 18.x source, commit 63dd125" };
const HELPERS = { file: "lib/api/helpers/packages/maven.rb", version: "GitLab 18.x source, commit 11be4d5" };
const FIND_OR_CREATE = {
  file: "app/services/packages/maven/find_or_create_package_service.rb",
  version: "GitLab 18.x source (newest stored text, agrees with spec/requests/api/maven_packages_spec.rb at b335b9c)",
};
const REGEX = { file: "lib/gitlab/regex/packages.rb", version: "GitLab 18.x source, commit a8eb10f" };

export const mavenGitLabFacts = defineGitLabFacts("maven", {
  routes: {
    behaviour: "the Maven endpoints GitLab serves",
    gitlab:
      "GET `*path/:file_name` at project, group and instance level; PUT (and Workhorse's `…/authorize`) at project level only. No DELETE and no directory listing: Maven cannot delete, so cleanup goes through the Packages API",
    value: { get: ["project", "group", "instance"], put: ["project"] },
    source: { ...API, at: "get 'packages/maven/*path/:file_name' (L106), get ':id/-/packages/maven/…' (L162), get ':id/packages/maven/…' (L204), put …/authorize (L239), put ':id/packages/maven/*path/:file_name' (L266)" },
    pinnedBy: PINNED,
  },
  uploadStatus: {
    behaviour: "uploading a file (jar, pom, metadata, any other name)",
    gitlab: "200 OK; the file is stored with the size, SHA-1 and MD5 Workhorse computed",
    value: 200,
    source: { ...API, at: "put ':id/packages/maven/*path/:file_name', CreatePackageFileService (L299-309)" },
    pinnedBy: PINNED,
  },
  sha1Upload: {
    behaviour: "uploading `<file>.sha1`",
    gitlab:
      "checked against the stored file's SHA-1, byte for byte (the body must be exactly the lowercase 40-hex digest: a trailing newline, uppercase hex or `hash  name` give 409): 204 when equal, 409 Conflict otherwise, 404 when the file is not stored. Never stored itself",
    value: { match: 204, mismatch: 409, missing: 404 },
    source: { ...API, at: "#verify_package_file (L37-49), put … `when 'sha1'` (L287-296)" },
    pinnedBy: PINNED,
  },
  md5Upload: {
    behaviour: "uploading `<file>.md5`",
    gitlab: "200 with an empty body; nothing is checked or stored (also in FIPS mode, so that Gradle does not fail)",
    value: 200,
    source: { ...API, at: "put … `when 'md5'` (L277, L297-298)" },
    pinnedBy: PINNED,
  },
  sha2Files: {
    behaviour: "uploading `<file>.sha256` or `<file>.sha512`",
    gitlab:
      "no special case: only `md5` and `sha1` are checksum formats to GitLab, so these are stored as ordinary package files (200), never checked (a wrong value is kept as given) and served as uploaded; never uploaded means not found. Maven leaves checking to the client",
    value: ["sha256", "sha512"],
    source: { ...HELPERS, at: "#extract_format (L25-35)" },
    pinnedBy: PINNED,
  },
  checksumDownload: {
    behaviour: "downloading `<file>.sha1` or `<file>.md5`",
    gitlab:
      "computed from the stored file's digests: 200, `text/plain`, the bare hex string. In FIPS mode `.md5` answers 422 Unprocessable Entity (the gitlab profiles' `fips` setting)",
    value: { contentType: "text/plain", fipsMd5: 422 },
    source: { ...API, at: "content_type :md5/:sha1 'text/plain' (L11-12), #find_and_present_package_file `case format` (L77-81); helpers #extract_format (FIPS, L29)" },
    pinnedBy: PINNED,
  },
  download: {
    behaviour: "downloading a stored file",
    gitlab:
      "200, `Content-Type: application/octet-stream` for every file (`.xml` and `.pom` included), with headers `x-checksum-sha1` and (not in FIPS mode) `x-checksum-md5`; proxied, never redirected to object storage",
    value: { contentType: "application/octet-stream", headers: ["x-checksum-sha1", "x-checksum-md5"] },
    source: { ...HELPERS, at: "SHA1_CHECKSUM_HEADER, MD5_CHECKSUM_HEADER (L9-10), #download_package_file! (L57-71)" },
    pinnedBy: PINNED,
  },
  head: {
    behaviour: "`HEAD` of a file",
    gitlab: "answered by the GET route, without a body (and without touching the package's last download time)",
    value: 200,
    source: { ...HELPERS, at: "#download_package_file! `unless request.head?` (L58)" },
    pinnedBy: PINNED,
  },
  missingFile: {
    behaviour: "downloading a file that is not stored",
    gitlab:
      "404 `404 Package Not Found`, or a 302 to Maven Central (`https://repo.maven.apache.org/maven2/…`) when package forwarding is on (`maven_package_requests_forwarding` and the `maven_central_request_forwarding` flag; whether CE forwards by default is unconfirmed). The kit follows redirects as Maven does; the reference answers 404",
    value: { status: 404, message: "404 Package Not Found" },
    source: { ...API, at: "#find_and_present_package_file, redirect_registry_request … not_found!('Package') (L60-88)" },
    pinnedBy: PINNED,
  },
  downloadChecks: {
    behaviour: "which checks a download applies to its path",
    gitlab:
      "only the `file_path` validator (path traversal, CRLF: 400); not the upload file-name or path rules, so a name uploads would refuse is simply not found",
    value: { traversal: 400, unknownName: 404 },
    source: { ...HELPERS, at: "params :path_and_file_name, `file_path: true` (L12-23)" },
    pinnedBy: PINNED,
  },
  metadataStored: {
    behaviour: "uploading `maven-metadata.xml`",
    gitlab:
      "stored and served exactly as uploaded, never parsed, generated or merged on upload: keeping `<versions>`, `<latest>` and `<release>` right is the client's job, as with any plain Maven repository",
    value: "client",
    source: { ...FIND_OR_CREATE, at: "#find_or_create_package (L22-78)" },
    pinnedBy: PINNED,
  },
  packagesApi: {
    behaviour: "how Maven packages appear in the Packages API (what cleanup deletes)",
    gitlab:
      "one record per version, named by the path without the version (`com/example/app`); the artifact-level `maven-metadata.xml` creates a versionless record of the same name, listed only with `include_versionless=true`",
    value: { name: "com/example/app", versionless: null },
    source: { ...FIND_OR_CREATE, at: "#find_or_create_package: versionless package for maven-metadata.xml (L48-53)" },
    pinnedBy: PINNED,
  },
  duplicatesDefault: {
    behaviour: "uploading a file the version already has, with the group's settings untouched",
    gitlab:
      "allowed: the group package setting `maven_duplicates_allowed` defaults to true (with `maven_duplicate_exception_regex` empty); the newest upload is the one served",
    value: "allow",
    source: { file: "db/migrate (CreateNamespacePackageSettings); app/models/namespace/package_setting.rb", at: "t.boolean :maven_duplicates_allowed, null: false, default: true; #duplicates_allowed? (L14-27)", version: "GitLab 18.x source, package_setting.rb commit 4555e1b" },
    pinnedBy: PINNED,
  },
  duplicateRefusal: {
    behaviour: "uploading a duplicate file where the group forbids duplicates",
    gitlab: "400 `{\"message\":\"400 Bad request - Duplicate package is not allowed\"}`",
    value: { status: 400, message: "400 Bad request - Duplicate package is not allowed" },
    source: { ...FIND_OR_CREATE, at: "#find_or_create_package `ServiceResponse.error(message: 'Duplicate package is not allowed')` (L27); maven_packages.rb `bad_request!(result.errors.first)` (L284)" },
    pinnedBy: PINNED,
  },
  duplicateScope: {
    behaviour: "what counts as a duplicate where duplicates are forbidden",
    gitlab:
      "a file name the version's package already holds; in a `-SNAPSHOT` version with the timestamp and build number (`-yyyyMMdd.HHmmss-N`) removed, so a second deploy of a SNAPSHOT is refused. Never a duplicate: the artifact-level `maven-metadata.xml` (versionless package), `.sha1`/`.md5` (never stored), a classifier file next to the main one. `.sha256`/`.sha512` are stored files, so a second upload of one is a duplicate. (Before this rule GitLab compared file extensions: older instances refuse a `-sources.jar` after the `.jar`.)",
    value: { snapshotBuildStripped: true, exempt: ["maven-metadata.xml (artifact level)", ".sha1", ".md5"] },
    source: { ...FIND_OR_CREATE, at: "#duplicate_error?, #target_package_is_duplicate?, #strip_snapshot_parts_from (L80-121)" },
    pinnedBy: PINNED,
  },
  fileName: {
    behaviour: "the file name of an upload",
    gitlab:
      "only `maven_file_name_regex` `\\A[A-Za-z0-9\\.\\_\\-\\+]+\\z` (400 otherwise; the exact Grape message is unconfirmed). Nothing requires it to start with `<artifactId>-<version>`",
    value: /^[A-Za-z0-9._+-]+$/,
    source: { ...REGEX, at: "maven_file_name_regex (L68-70); maven_packages.rb put params `regexp:` (L261)" },
    pinnedBy: PINNED,
  },
  fileNameLength: {
    behaviour: "an upload whose file name is longer than 5000 characters",
    gitlab: "400 `400 Bad request - File name is too long`",
    value: { max: 5000, status: 400, message: "400 Bad request - File name is too long" },
    source: { ...FIND_OR_CREATE, at: "MAX_FILE_NAME_LENGTH, #execute, #file_name_too_long? (L7, L11, L84-88)" },
    pinnedBy: PINNED,
  },
  pathRules: {
    behaviour: "the path of an upload that creates a package",
    gitlab:
      "group and artifact segments `[\\w\\-\\.]+` (at least group/artifact/version, or group/artifact for artifact-level metadata); the version `maven_version_regex` `\\A(?!.*\\.\\.)[\\w+.-]+\\z` (`+` allowed, no `..`). Otherwise 400 `Validation failed: …`",
    value: { segment: /^[A-Za-z0-9_.-]+$/, version: /^(?!.*\.\.)[A-Za-z0-9_+.-]+$/, status: 400, message: "Validation failed" },
    source: { file: "app/models/packages/maven/metadatum.rb; lib/gitlab/regex/packages.rb", at: "Metadatum validations (L7-17); maven_path_regex, maven_version_regex (L72-82)", version: "GitLab 18.x source, commits 73ff431 and a8eb10f" },
    pinnedBy: PINNED,
  },
  maxFileSize: {
    behaviour: "the default largest Maven file (plan limit `maven_max_file_size`)",
    gitlab: "3221225472 bytes (3 GiB)",
    value: 3 * 1024 ** 3,
    source: { file: "db/structure.sql", at: "plan_limits.maven_max_file_size DEFAULT 3221225472", version: "GitLab 18.x source (newest stored structure.sql)" },
    pinnedBy: PINNED,
  },
  overLimit: {
    behaviour: "uploading a file over `maven_max_file_size`",
    gitlab:
      "Rails answers 400 `400 Bad request - File is too large`. Workhorse is told the limit (`maximum_size`) and may refuse first, probably with 413 (unconfirmed for Maven): the kit accepts either; the reference answers as Rails",
    value: { status: 400, message: "400 Bad request - File is too large", workhorse: 413 },
    source: { ...API, at: "put … `bad_request!('File is too large')` (L269); authorize `maximum_size:` (L244)" },
    pinnedBy: PINNED,
  },
  credentials: {
    behaviour: "how credentials travel on every Maven route",
    gitlab:
      "`PRIVATE-TOKEN`, `DEPLOY-TOKEN` and `JOB-TOKEN` headers (or `job_token` parameter), and HTTP Basic for all three: the username is ignored for personal and deploy tokens, a job token needs `gitlab-ci-token`. A bad `PRIVATE-TOKEN` or job token is 401; a bad Basic password or `DEPLOY-TOKEN` reads as anonymous",
    value: { headers: ["PRIVATE-TOKEN", "DEPLOY-TOKEN", "JOB-TOKEN"], basic: true },
    source: { ...API, at: "route_setting :authentication, job_token_allowed: true, deploy_token_allowed: true, basic_auth_personal_access_token: true (L104, L160, L202, L237, L264)" },
    pinnedBy: PINNED,
  },
  anonymous: {
    behaviour: "no credentials",
    gitlab:
      "an upload is always 401 (`authenticate_non_get!`); a download from a private project is 401 with `WWW-Authenticate: Basic realm=\"GitLab Packages Registry\"` (what makes Maven retry with credentials); from a public project it is served",
    value: { upload: 401, privateDownload: 401, publicDownload: 200 },
    source: { ...API, at: "before { authenticate_non_get! } (L19-22); get … authorized_user_project(action: :read_package) (L205); basic_auth_helpers.rb #unauthorized_or!, #unauthorized!" },
    pinnedBy: PINNED,
  },
  readOnlyUpload: {
    behaviour: "an upload with a read-only deploy token (or a Reporter)",
    gitlab: "403 Forbidden (`authorize_upload!` needs `create_package`)",
    value: 403,
    source: { ...API, at: "put … authorize_upload! (L268); packages_helpers.rb #authorize_upload! (L67-70)" },
    pinnedBy: PINNED,
  },
  instanceLevel: {
    behaviour: "downloading at instance level (`/api/v4/packages/maven/*path/:file_name`)",
    gitlab:
      "only for a package whose path without the version is the full path of its project (`regkit/demo/1.0/demo-1.0.jar` in project `regkit/demo`); any other path is 403 (GitLab checks an unknown path even before authentication). Use the project or group endpoint for other names",
    value: 403,
    source: { ...API, at: "get 'packages/maven/*path/:file_name' `forbidden! unless path_exists?`, #find_project_by_path (L51-54, L106-137)" },
    pinnedBy: PINNED,
  },
});
