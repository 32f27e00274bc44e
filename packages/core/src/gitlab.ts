// GitLab's Packages API: what cleanup uses where a format's protocol has no
// delete (GitLab's PyPI and Maven endpoints). Packages are listed by type and
// (fuzzy) name, then deleted one record (name and version) at a time by id.
import type { Credential, HttpClient, PackagesApi, ProfileSetting } from "./contract.js";
import { ProtocolError } from "./errors.js";
import { GITLAB_FACTS } from "./gitlab-facts.js";
import { expectStatus } from "./http.js";

/** `…/api/v4/projects/:id` of a GitLab project package endpoint (`…/api/v4/projects/:id/packages/<format>`); undefined otherwise. */
export function gitlabProjectApi(registry: string): string | undefined {
  const match = /^(https?:\/\/.+?\/api\/v4\/projects\/[^/]+)\/packages\/[^/]+\/?$/i.exec(registry.trim());
  return match?.[1];
}

/**
 * GitLab's token headers for a credential: `PRIVATE-TOKEN`, `DEPLOY-TOKEN`,
 * `JOB-TOKEN` (what the Maven endpoint takes). The REST Packages API takes no
 * Basic auth and ignores deploy tokens (GITLAB_FACTS.restApiCredentials), so
 * cleanup there uses a personal or job token.
 */
export function gitlabApiHeaders(credential: Credential): Record<string, string> {
  const token = credential.token;
  if (token === undefined) return {};
  switch (credential.kind) {
    case "personal":
    case "invalid":
      return { "PRIVATE-TOKEN": token };
    case "deploy":
    case "readonly":
      return { "DEPLOY-TOKEN": token };
    case "job":
      return { "JOB-TOKEN": token };
    case "anonymous":
      return {};
  }
}

/**
 * The Basic username GitLab expects for a credential: `gitlab-ci-token` for a
 * job token (GITLAB_FACTS.jobTokenUsername), the deploy token's own username,
 * and for a personal token its owner's username when given (GitLab's NuGet
 * checks it), else `regkit` (ignored by GitLab elsewhere: GITLAB_FACTS.basicUsernameIgnored).
 */
export function gitlabBasicUser(credential: Credential): string {
  if (credential.kind === "job") return GITLAB_FACTS.jobTokenUsername.value;
  return credential.username ?? "regkit";
}

/** `Authorization: Basic` for a credential by GitLab's username rules; no header without a token. */
export function gitlabBasicAuth(credential: Credential): Record<string, string> {
  if (credential.token === undefined) return {};
  return { authorization: `Basic ${Buffer.from(`${gitlabBasicUser(credential)}:${credential.token}`, "utf8").toString("base64")}` };
}

/**
 * The `visibility` setting every gitlab profile takes: a public project serves
 * reads to anyone. Where credentials travel as Basic, GitLab reads a password
 * it does not know as no credentials at all (GITLAB_FACTS.invalidCredentials),
 * so a public project serves that read too; a bad PRIVATE-TOKEN, JOB-TOKEN or
 * Bearer token is a 401 everywhere, and so is anything on GitLab's NuGet routes.
 */
export function gitlabVisibility(options: { readonly invalidBasicReadsAsAnonymous: boolean }): ProfileSetting {
  return {
    type: ["private", "public"],
    description: `the project's visibility: public serves reads without credentials${options.invalidBasicReadsAsAnonymous ? " and with a Basic password GitLab does not know" : ""}`,
    default: "private",
    apply(value, draft) {
      draft.capabilities.anonymousRead = value === "public";
      if (options.invalidBasicReadsAsAnonymous) draft.capabilities.invalidTokenRead = value === "public";
    },
  };
}

interface Listed {
  readonly id: number;
  readonly name: string;
  readonly version: string | null;
}

const PER_PAGE = 100;
/** A run's packages fit in far fewer pages; more means the name filter matched something else. */
const MAX_PAGES = 50;

/**
 * Removes the package `name` (every version, versionless records included, or
 * only `version`) through GitLab's Packages API. Returns how many records went.
 * Throws ProtocolError, with the request, when GitLab refuses.
 */
export async function removeThroughPackagesApi(
  http: HttpClient,
  registry: string,
  credential: Credential,
  api: PackagesApi,
  name: string,
  version?: string,
): Promise<number> {
  const project = gitlabProjectApi(registry);
  if (!project) throw new ProtocolError(`${registry} is not a GitLab project package endpoint (…/api/v4/projects/:id/packages/<format>): no Packages API to remove ${name} with`);
  const headers = gitlabApiHeaders(credential);
  const listedName = api.name(name);
  const same = api.same ?? ((listed: string, wanted: string) => listed === wanted);
  const doomed: Listed[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const query = new URLSearchParams({ package_type: api.type, package_name: listedName, include_versionless: "true", per_page: String(PER_PAGE), page: String(page) });
    if (version !== undefined) query.set("package_version", version);
    const res = await http.request({ method: "GET", path: `${project}/packages?${query}`, headers, noAuth: true });
    await expectStatus(res, [200], `listing ${api.type} packages named ${listedName} through the Packages API`);
    const items = await res.json<unknown>();
    if (!Array.isArray(items)) throw new ProtocolError(`GET ${res.exchange.path} -> 200: not a list of packages`, [res.exchange]);
    for (const item of items as Listed[]) {
      if (typeof item?.id !== "number" || typeof item.name !== "string") continue;
      if (!same(item.name, listedName)) continue;
      if (version !== undefined && item.version !== version) continue;
      doomed.push(item);
    }
    const next = res.headers["x-next-page"];
    if (next === undefined ? items.length < PER_PAGE : next === "") break;
  }
  for (const item of doomed) {
    const res = await http.request({ method: "DELETE", path: `${project}/packages/${item.id}`, headers, noAuth: true });
    // Gone already (a concurrent cleanup, a registry that removes versionless records with the last version): fine.
    await expectStatus(res, [200, 202, 204, 404], `deleting package ${item.id} (${item.name} ${item.version ?? "versionless"}) through the Packages API`);
    await res.dump();
  }
  return doomed.length;
}
