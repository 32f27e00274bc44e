/**
 * GitLab's Helm chart registry, one fact at a time, each with the place in
 * GitLab's source that defines it. The gitlab profile, the reference
 * registry's Helm routes and the generated "GitLab fidelity" page read them
 * here; `test/gitlab-facts.test.ts` pins the reference registry to each.
 *
 * Read from the public mirror `gitlabhq/gitlabhq` (GitLab 18.x, December
 * 2026), commit named per file. The shared facts (realm, Basic usernames,
 * invalid credentials, who may delete, the Packages API) are `GITLAB_FACTS`
 * of @regkit/core.
 *
 * @module
 */
import { defineGitLabFacts } from "@regkit/core";
import { SEMVER } from "./version.js";

const PINNED = "packages/helm/test/gitlab-facts.test.ts";
const API = { file: "lib/api/helm_packages.rb", version: "GitLab 18.x source, commit 0c872e0" };
const REGEX = { file: "lib/gitlab/regex/packages.rb", version: "GitLab 18.x source, commit 3a77f46" };
const FINDER = { file: "app/finders/packages/helm/packages_finder.rb", version: "GitLab 18.x source, commit 051022d" };
const FILES_FINDER = { file: "app/finders/packages/helm/package_files_finder.rb", version: "GitLab 18.x source, commit 4ac9f1b" };
const PRESENTER = { file: "app/presenters/packages/helm/index_presenter.rb", version: "GitLab 18.x source, commit 4fa3a79" };
const PROCESS = { file: "app/services/packages/helm/process_file_service.rb", version: "GitLab 18.x source, commit 28c1db0" };
const EXTRACT = { file: "app/services/packages/helm/extract_file_metadata_service.rb", version: "GitLab 18.x source, commit 35b6ac0" };
const ENTITY = { file: "lib/api/entities/helm/index.rb", version: "GitLab 18.x source, commit e8d2c25" };

/** `helm_channel_regex`: ASCII letters and digits, each followed by at most one `.`, `-` or `_`, 1 to 255 of them, not ending in a separator. */
const CHANNEL = /^(?:[a-zA-Z0-9][.\-_]?){1,255}(?<![.\-_])$/;

export const helmGitLabFacts = defineGitLabFacts("helm", {
  routes: {
    behaviour: "the Helm endpoints GitLab serves",
    gitlab:
      "`GET /projects/:id/packages/helm/:channel/index.yaml`, `GET …/:channel/charts/:file_name.tgz`, `POST …/api/:channel/charts` (multipart field `chart`) and Workhorse's `POST …/api/:channel/charts/authorize`, at project level only; no ChartMuseum listing (`GET /api/charts`), no delete (removal through the Packages API)",
    value: { index: "/:channel/index.yaml", chart: "/:channel/charts/:file", upload: "/api/:channel/charts", field: "chart", levels: ["project"] },
    source: { ...API, at: "namespace ':id/packages/helm': get ':channel/index.yaml', get ':channel/charts/:file_name.tgz', post 'api/:channel/charts/authorize', post 'api/:channel/charts'" },
    pinnedBy: PINNED,
  },
  auth: {
    behaviour: "credentials on the Helm routes",
    gitlab:
      "HTTP Basic only (`authenticate_with … sent_through(:http_basic_auth)`): a personal access token (any username), a deploy token, or a job token; the PRIVATE-TOKEN, DEPLOY-TOKEN and JOB-TOKEN headers are not read. Anonymous on a private project: 401; a wrong password: 401 (public project too); a read-only deploy token uploads 403 and reads 200; a job token is taken under any username (`accept_invalid_username: true`)",
    value: { basicOnly: true, anonymousPrivate: 401, invalid: 401, readonlyUpload: 403, jobTokenAnyUsername: true },
    source: { ...API, at: "authenticate_with { accept.token_types(:personal_access_token, :deploy_token, :job_token).sent_through(:http_basic_auth) }; spec/requests/api/helm_packages_spec.rb (commit 017a6c1) 'when an invalid token is passed', 'deploy token for package uploads', 'job token for package uploads' with accept_invalid_username: true; lib/gitlab/api_authentication/token_resolver.rb (commit 41946e6) #resolve_personal_access_token, #resolve_deploy_token, #resolve_job_token: the password alone" },
    pinnedBy: PINNED,
  },
  channelRule: {
    behaviour: "the channel segment",
    gitlab: "`helm_channel_regex` = `\\A([a-zA-Z0-9](\\.|-|_)?){1,255}(?<!\\.|-|_)\\z` (`stable`, `with.dot`; no `..`, no trailing separator); anything else is 400 from Grape's `regexp` validation",
    value: CHANNEL,
    source: { ...REGEX, at: "#helm_channel_regex; lib/api/helm_packages.rb params `requires :channel, regexp: Gitlab::Regex.helm_channel_regex`; spec 'with dot in channel'" },
    pinnedBy: PINNED,
  },
  uploadStatus: {
    behaviour: "uploading a chart",
    gitlab: "201 Created with `{\"message\":\"201 Created\"}` as soon as the file is stored, before the chart is read; a body without the `chart` field is 400 (`chart is missing`)",
    value: { created: 201, message: "201 Created", missingField: 400 },
    source: { ...API, at: "post 'api/:channel/charts': `requires :chart, type: WorkhorseFile` … `created!`" },
    pinnedBy: PINNED,
  },
  maxFileSize: {
    behaviour: "the default largest chart (plan limit `helm_max_file_size`)",
    gitlab: "5242880 bytes (5 MiB, `5.megabyte`)",
    value: 5 * 1024 * 1024,
    source: { file: "db/migrate/…_add_helm_max_file_size_to_plan_limits.rb", at: "AddHelmMaxFileSizeToPlanLimits: add_column :plan_limits, :helm_max_file_size, :bigint, default: 5.megabyte", version: "GitLab 18.x source (the migration as stored)" },
    pinnedBy: PINNED,
  },
  overLimit: {
    behaviour: "uploading a chart over `helm_max_file_size`",
    gitlab: "Rails answers 400 `400 Bad request - File is too large`; Workhorse is told the limit at authorize (`maximum_size`) and refuses a bigger body with 413 first: the kit accepts either, the reference answers as Rails",
    value: { status: 400, message: "400 Bad request - File is too large", workhorse: 413 },
    source: { ...API, at: "post 'api/:channel/charts': `bad_request!('File is too large') if …exceeded?(:helm_max_file_size, params[:chart].size)`; spec 'file size above maximum limit'" },
    pinnedBy: PINNED,
  },
  processing: {
    behaviour: "what happens to an upload after the 201",
    gitlab:
      "the file is stored as `package.tgz` of a temporary package (named `Helm.Temporary.Package`, status `processing`); `Packages::Helm::ExtractionWorker` then reads the first `*/Chart.yaml` of the gzip tar (at most 1 MiB), renames the package to the chart's name and version (an existing package of that name and version takes the file) and the file to `<name>-<version>.tgz`, and records the channel. Until then the chart is in no index; a chart it cannot read (no Chart.yaml, bad YAML, a name or version outside the rules) leaves the temporary package in status `error`, under its temporary name: accepted with 201, never listed, and not removable by the name the uploader knows",
    value: { accepted: 201, chartYaml: "*/Chart.yaml", maxChartYaml: 1024 * 1024, invalidListed: false },
    source: { ...PROCESS, at: "#execute, #rename_package_and_set_version, #rename_package_file_and_set_metadata, #file_name; app/workers/packages/helm/extraction_worker.rb (commit 0653e08) rescue → update_column(:status, :error); " + EXTRACT.file + " (commit 35b6ac0) #chart_yaml_content, MAX_FILE_SIZE = 1.megabyte" },
    pinnedBy: PINNED,
  },
  nameVersionRule: {
    behaviour: "the chart name and version (read from Chart.yaml)",
    gitlab:
      "name: `helm_package_regex` = `helm_channel_regex`; version: `helm_version_regex` = SemVer 2 with an optional leading `v`. A chart outside them fails the package's validation in the worker: the upload was 201, the chart is never listed",
    value: { name: CHANNEL, version: SEMVER },
    source: { file: "app/models/packages/helm/package.rb", at: "validates :name, format: { with: Gitlab::Regex.helm_package_regex }; validates :version, format: { with: Gitlab::Regex.helm_version_regex }; lib/gitlab/regex/packages.rb #helm_package_regex, #helm_version_regex", version: "GitLab 18.x source, commit 6006712" },
    pinnedBy: PINNED,
  },
  duplicates: {
    behaviour: "uploading a chart version the channel already has",
    gitlab: "accepted (201; no setting refuses it): the version gets one more file, and both the index entry and the download are the newest upload's (`most_recent_for`, `most_recent!`)",
    value: "allow",
    source: { ...FILES_FINDER, at: "#execute `limit_recent` (order id desc); lib/api/helm_packages.rb get charts `.most_recent!`; index_presenter.rb #most_recent_package_files (PackageFile.most_recent_for: the most recent installable file of each package)" },
    pinnedBy: PINNED,
  },
  indexDocument: {
    behaviour: "the channel's `index.yaml`",
    gitlab:
      "YAML (`text/yaml`) with `apiVersion: v1`, `entries` (chart name → versions), `generated`, and `serverInfo.contextPath` = `/api/v4/projects/<id>/packages/helm`; an unknown channel or an empty one is an index with no entries (200)",
    value: { apiVersion: "v1", contentType: "text/yaml", contextPath: "/api/v4/projects/:id/packages/helm" },
    source: { ...ENTITY, at: "expose :api_version as apiVersion, :entries, :generated, :server_info as serverInfo; " + PRESENTER.file + " #api_version, #server_info" },
    pinnedBy: PINNED,
  },
  indexEntry: {
    behaviour: "one version in the index",
    gitlab: "the chart's Chart.yaml as read, plus `created` (the file's time), `digest` (the file's SHA-256) and `urls: [\"charts/<name>-<version>.tgz\"]` (relative to the channel)",
    value: { urls: "charts/:name-:version.tgz", digest: "sha256" },
    source: { ...PRESENTER, at: "#entries: `helm_metadata.merge('created' => …, 'digest' => package_file.file_sha256, 'urls' => [\"charts/#{package_file.file_name}\"])`" },
    pinnedBy: PINNED,
  },
  indexLimit: {
    behaviour: "how many versions a channel's index lists",
    gitlab: "the 1000 most recently created versions (packages) of the channel (`MAX_PACKAGES_COUNT`, 300 in older releases); older versions drop out of the index but stay downloadable",
    value: 1000,
    source: { ...FINDER, at: "MAX_PACKAGES_COUNT = 1000; #execute `Packages::Package.limit_recent(MAX_PACKAGES_COUNT)` (order created_at desc)" },
    pinnedBy: PINNED,
  },
  indexOrder: {
    behaviour: "the order of a chart's versions in the index",
    gitlab: "not sorted by SemVer: `most_recent_for` says \"the order is not guaranteed\"; it follows the packages' order (the newest created first). Helm sorts the entries itself when it loads an index",
    value: "newest first",
    source: { file: "app/models/packages/package_file.rb", at: "self.most_recent_for: \"Returns the most recent installable package file for *each* of the given packages. The order is not guaranteed.\"; packages_finder.rb limit_recent", version: "GitLab 18.x source, commit 017a6c1" },
    pinnedBy: PINNED,
  },
  download: {
    behaviour: "downloading `charts/<name>-<version>.tgz` of a channel",
    gitlab: "200 with the newest file of that name in the channel; a file name the channel does not hold is 404; `.tgz.prov` is 404 `Format prov Not Found`",
    value: { status: 200, missing: 404 },
    source: { ...API, at: "get ':channel/charts/:file_name.tgz': PackageFilesFinder.new(project, channel, file_name: \"#{file_name}.tgz\").most_recent!, present_package_file!; spec 'when format param is not nil'" },
    pinnedBy: PINNED,
  },
});

