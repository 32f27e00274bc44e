/**
 * Registry flavours the Helm kit knows. The gitlab profile reads every GitLab
 * number, status and rule from the facts in `gitlab.ts`.
 *
 * @module
 */
import { type Credential, type Profile, type ProfileSetting, citeSource, defineProfile, gitlabBasicAuth, gitlabVisibility } from "@regkit/core";
import { helmGitLabFacts as facts } from "./gitlab.js";

/** GitLab's default maximum chart size: 5 MiB. */
export const GITLAB_HELM_LIMIT: number = facts.maxFileSize.value;

/** Capability: charts are uploaded with the ChartMuseum API (`POST api/<channel>/charts`, multipart field `chart`). */
export const UPLOAD_API = "uploadApi";
/** Capability: a chart the registry cannot read (no Chart.yaml, a name outside the rules) is refused, or at least never listed. */
export const VALIDATES_CHARTS = "validatesCharts";

/** The Helm kit's own capability keys, on top of core's. */
export type HelmCapability = typeof UPLOAD_API | typeof VALIDATES_CHARTS;
/** A profile of the Helm kit: core's capabilities plus the Helm ones. */
export type HelmProfile = Profile<HelmCapability>;

/** The setting naming the channel (GitLab's `:channel`, ChartMuseum's repository) the run uses. */
export const CHANNEL_SETTING = "channel";
/** The setting bounding how long a publish waits for the chart to appear in the index (GitLab reads charts in a background job). */
export const PROCESSING_WAIT_SETTING = "processingWaitMs";
/** The channel a run uses unless told otherwise: GitLab's docs use `stable`. */
export const DEFAULT_CHANNEL = "stable";
const DEFAULT_PROCESSING_WAIT_MS = 10_000;

/** Deviation: the index does not list a chart's versions in SemVer order. */
export const INDEX_ORDER_DEVIATION = "helm.index-order";
/** Deviation: an unreadable chart is accepted (2xx) rather than refused. */
export const INVALID_CHART_DEVIATION = "helm.invalid-chart-accepted";

/** The channel of the target's settings. */
export function channelOf(settings: Readonly<Record<string, unknown>>): string {
  const value = settings[CHANNEL_SETTING];
  return typeof value === "string" && value !== "" ? value : DEFAULT_CHANNEL;
}

/** How long a publish waits for its chart in the index (ms). */
export function processingWaitOf(settings: Readonly<Record<string, unknown>>): number {
  const value = settings[PROCESSING_WAIT_SETTING];
  return typeof value === "number" && value >= 0 ? value : DEFAULT_PROCESSING_WAIT_MS;
}

const channelSetting: ProfileSetting = {
  type: "string",
  description: `the channel the run publishes to and reads (GitLab's :channel, a ChartMuseum repository at depth 1); default ${DEFAULT_CHANNEL}`,
  default: DEFAULT_CHANNEL,
  apply() {
    // Read by the adapter and the drivers from the target's settings.
  },
};

const processingWaitSetting: ProfileSetting = {
  type: "number",
  description: "the longest a publish waits (ms) for the chart to appear in the channel's index (GitLab reads uploads in a background job); 0: do not wait",
  default: DEFAULT_PROCESSING_WAIT_MS,
  apply() {
    // Read by the adapter from the target's settings.
  },
};

/** GitLab: Basic auth for every token kind (a job token as `gitlab-ci-token`), charts read by a background job. */
export const gitlabProfile: HelmProfile = defineProfile<HelmCapability>({
  name: "gitlab",
  description: `GitLab's Helm chart registry (/api/v4/projects/:id/packages/helm/:channel/index.yaml, charts/<name>-<version>.tgz, POST api/:channel/charts): HTTP Basic credentials only (a personal access token under any username, a deploy token, a job token as gitlab-ci-token), duplicates allowed (the newest upload wins), ${GITLAB_HELM_LIMIT / 1024 ** 2} MiB per chart, the ${facts.indexLimit.value} newest versions per channel's index, charts read in a background job.`,
  tokenKinds: ["personal", "deploy", "job", "readonly", "anonymous", "invalid"],
  capabilities: { search: true, listVersions: true, delete: false, distTags: false, anonymousRead: false, [UPLOAD_API]: true, [VALIDATES_CHARTS]: true },
  policies: { duplicates: facts.duplicates.value, duplicateStatus: [] },
  limits: { maxFileSize: GITLAB_HELM_LIMIT },
  authHeaders: (credential: Credential) => gitlabBasicAuth(credential),
  packagesApi: { type: "helm", name: (name: string) => name },
  deviations: {
    [INDEX_ORDER_DEVIATION]: { summary: `index.yaml lists a chart's versions ${facts.indexOrder.value}, not in SemVer order (Helm sorts them when it loads the index)`, source: citeSource(facts.indexOrder.source) },
    [INVALID_CHART_DEVIATION]: {
      summary: "an upload that is no readable chart (no Chart.yaml, a name or version outside GitLab's rules) is answered 201 Created; it is never listed (the background job marks it `error`)",
      source: citeSource(facts.processing.source),
    },
  },
  settings: {
    visibility: gitlabVisibility({ invalidBasicReadsAsAnonymous: false }),
    [CHANNEL_SETTING]: channelSetting,
    [PROCESSING_WAIT_SETTING]: processingWaitSetting,
  },
});

function basic(username: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}` };
}

/**
 * A static chart repository: a plain web server (nginx, Apache, an object
 * store) serving `<channel>/index.yaml` and `<channel>/charts/*.tgz`, the
 * index written by the real `helm repo index --merge` on each publish and
 * PUT with the archive (WebDAV), anonymous reads, DELETE for cleanup. No
 * upload API, so nothing checks a chart: an upload that is no chart is
 * stored like any file (helm.invalid-chart does not apply); credentials are
 * checked on writes only; no size limit unless the server sets one.
 */
export const staticProfile: HelmProfile = defineProfile<HelmCapability>({
  name: "static",
  description:
    "Static chart repository on a plain HTTP/WebDAV server (nginx): <channel>/index.yaml written by `helm repo index --merge` and PUT with the chart under <channel>/charts/, anonymous GET, Basic credentials to write, DELETE for cleanup; no upload API, no chart validation, re-publishing a version replaces it, no size limit unless configured. (ChartMuseum could not be installed here: see the format page.)",
  tokenKinds: ["deploy", "readonly", "anonymous", "invalid"],
  capabilities: { search: true, listVersions: true, delete: true, distTags: false, anonymousRead: true, invalidTokenRead: true, [UPLOAD_API]: false, [VALIDATES_CHARTS]: false },
  policies: { duplicates: "allow", duplicateStatus: [] },
  limits: { maxFileSize: 0 },
  // WebDAV's own methods, outside the chart repository protocol: how this server is written to.
  extraRoutes: [
    { method: "PUT", path: "/:channel/charts/:file", summary: "store a chart archive (WebDAV)" },
    { method: "PUT", path: "/:channel/index.yaml", summary: "store the index `helm repo index` wrote (WebDAV)" },
    { method: "DELETE", path: "/:channel/charts/:file", summary: "remove a chart archive (cleanup, WebDAV)" },
  ],
  authHeaders: (credential: Credential) => (credential.token === undefined ? {} : basic(credential.username ?? "regkit", credential.token)),
  settings: { [CHANNEL_SETTING]: channelSetting },
});

export const helmProfiles: Readonly<Record<string, HelmProfile>> = { gitlab: gitlabProfile, static: staticProfile };
