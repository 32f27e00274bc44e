/**
 * Registry flavours the Terraform modules kit knows. The gitlab profile reads
 * every GitLab number, status and rule from the facts in `gitlab.ts`.
 *
 * @module
 */
import { type Profile, type ProfileSetting, defineProfile, gitlabApiHeaders, gitlabVisibility } from "@regkit/core";
import { terraformGitLabFacts as facts } from "./gitlab.js";

/** GitLab's default maximum size of one module archive: 1 GiB. */
export const GITLAB_TERRAFORM_LIMIT: number = facts.maxFileSize.value;

/** Capability: versions outside SemVer 2.0.0 and names outside `[-a-z0-9]+/[-a-z0-9]+` are refused. */
export const VALIDATES_NAMES = "validatesNames";
/** Capability: the `X-Terraform-Get` URL carries its own short-lived credential (GitLab's `?token=<JWT>`), so it is fetched without the registry credentials, as Terraform fetches it. */
export const DOWNLOAD_TOKEN = "downloadToken";

/**
 * Capability: the registry is static files (nginx, a bucket): publishing is a
 * WebDAV `PUT` of `<base><module>/<version>/archive.tgz` and of the updated
 * `<base><module>/versions` document, removal a `DELETE`; a module with no
 * versions document has no versions.
 */
export const STATIC_FILES = "staticFiles";

/** Capability: `GET <module>/download` redirects to the latest version's download (the protocol's optional "latest" route). */
export const LATEST_DOWNLOAD = "latestDownload";

/** The Terraform kit's own capability keys, on top of core's. */
export type TerraformCapability = typeof VALIDATES_NAMES | typeof DOWNLOAD_TOKEN | typeof STATIC_FILES | typeof LATEST_DOWNLOAD;
/** A profile of the Terraform kit: core's capabilities plus the Terraform ones. */
export type TerraformProfile = Profile<TerraformCapability>;

/** The setting that names the module namespace (GitLab: the top-level group's path). */
export const NAMESPACE_SETTING = "namespace";
/** The module system (Terraform's "provider" part of a module address) every regkit module is published under. */
export const MODULE_SYSTEM = "local";

/** The namespace the target's settings give; "" when none (the adapter then reads it from the endpoint). */
export function namespaceSetting(settings: Readonly<Record<string, unknown>>): string {
  const value = settings[NAMESPACE_SETTING];
  return typeof value === "string" ? value.trim() : "";
}

const namespaceOption: ProfileSetting = {
  type: "string",
  description:
    "the module namespace of the protocol paths (`/packages/terraform/modules/v1/<namespace>/…`): GitLab's top-level group path; default: read from an endpoint that names the project by path (`/projects/group%2Fproject/…`)",
  default: "",
  apply() {
    // Read by the adapter from the resolved settings; no capability depends on it.
  },
};

/**
 * GitLab: uploads with the token headers at the project endpoint, the module
 * registry protocol with `Authorization: Bearer` under the group namespace at
 * instance level, the archive through the `X-Terraform-Get` URL with its JWT.
 */
export const gitlabProfile: TerraformProfile = defineProfile<TerraformCapability>({
  name: "gitlab",
  description: `GitLab's Terraform Module Registry: upload with PRIVATE-TOKEN, DEPLOY-TOKEN or JOB-TOKEN to /api/v4/projects/:id/packages/terraform/modules/:name/:system/:version/file; the module registry protocol (/.well-known/terraform.json, versions, download with X-Terraform-Get) under /api/v4/packages/terraform/modules/v1/<group>/ with Authorization: Bearer (--set namespace=GROUP when the endpoint names the project by id). A version is never uploaded twice (${facts.duplicateVersion.value.status}), ${GITLAB_TERRAFORM_LIMIT / 1024 ** 3} GiB per archive, SemVer versions only. Cleanup through GitLab's Packages API (a personal or job token).`,
  tokenKinds: ["personal", "deploy", "job", "readonly", "anonymous", "invalid"],
  capabilities: { search: false, listVersions: true, delete: false, distTags: false, anonymousRead: false, [VALIDATES_NAMES]: true, [DOWNLOAD_TOKEN]: true, [STATIC_FILES]: false, [LATEST_DOWNLOAD]: true },
  policies: { duplicates: "reject", duplicateStatus: [facts.duplicateVersion.value.status] },
  limits: { maxFileSize: GITLAB_TERRAFORM_LIMIT },
  // The upload's credentials; the protocol's reads set Bearer themselves.
  authHeaders: gitlabApiHeaders,
  packagesApi: { type: "terraform_module", name: (name: string) => name },
  extraRoutes: [
    { method: "PUT", path: "/modules/:name/:system/*version/file", summary: "upload a module archive (GitLab's own route, the protocol has none)" },
    { method: "GET", path: "/modules/:name/:system/*version", summary: "download a version from the project (GitLab 16.7+, Basic auth; ?terraform-get=1 answers with X-Terraform-Get)" },
  ],
  settings: { visibility: gitlabVisibility({ invalidBasicReadsAsAnonymous: false }), [NAMESPACE_SETTING]: namespaceOption },
});

function basic(username: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}` };
}

/**
 * A static module registry: files on a web server (nginx with WebDAV for the
 * writes), the discovery and versions documents as files, `download` answered
 * by the server's configuration with 204 and `X-Terraform-Get`. Anonymous
 * reads, Basic credentials to write; a version published again overwrites; no
 * name rules, no size limit unless configured; `--set namespace=…` required.
 */
export const staticProfile: TerraformProfile = defineProfile<TerraformCapability>({
  name: "static",
  description:
    "A static Terraform module registry (nginx or any web server with WebDAV writes): /.well-known/terraform.json and the versions documents are files, download answers 204 with X-Terraform-Get to <version>/archive.tgz; anonymous reads, Basic credentials to PUT and DELETE; a version published again overwrites; --set namespace=NAMESPACE.",
  tokenKinds: ["deploy", "readonly", "anonymous", "invalid"],
  capabilities: {
    search: false,
    listVersions: true,
    delete: true,
    distTags: false,
    anonymousRead: true,
    // Reads never look at credentials, so a wrong password reads like none.
    invalidTokenRead: true,
    [VALIDATES_NAMES]: false,
    [DOWNLOAD_TOKEN]: false,
    [STATIC_FILES]: true,
    // Static files cannot pick the highest version.
    [LATEST_DOWNLOAD]: false,
  },
  policies: { duplicates: "allow", duplicateStatus: [] },
  limits: { maxFileSize: 0 },
  extraRoutes: [
    { method: "PUT", path: "/*path", summary: "publish: the archive and the versions document, as files (WebDAV)" },
    { method: "DELETE", path: "/*path", summary: "cleanup: a version's or a module's files (WebDAV)" },
    { method: "GET", path: "/*path", summary: "the archive X-Terraform-Get names (a static file)" },
    { method: "HEAD", path: "/*path", summary: "the archive's HEAD (go-getter asks before it downloads)" },
  ],
  authHeaders: (credential) => (credential.token === undefined ? {} : basic(credential.username ?? "publisher", credential.token)),
  settings: { [NAMESPACE_SETTING]: namespaceOption },
});

export const terraformProfiles: Readonly<Record<string, TerraformProfile>> = { gitlab: gitlabProfile, static: staticProfile };
