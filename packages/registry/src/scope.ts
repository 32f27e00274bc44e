/**
 * Who may do what: turns a request's credentials (read per the format's or the
 * route's AuthScheme rules, auth.ts) into the principal a route sees and the
 * store it may reach, or into GitLab's refusal: anonymous 401 (or 404 where the
 * route says), 404 for a project the caller may not see, 403 for too little
 * access. The admin and REST API rules are here too.
 */
import { GITLAB_FACTS } from "@regkit/core";
import { type Access, type Identity, authenticate } from "./auth.js";
import type { PackageStore, Principal, ReferenceFormat, ReferenceReply, ReferenceRoute } from "./contract.js";
import type { Call } from "./exchange.js";
import { messageReply } from "./reply.js";
import { DEMO, GROUP, PROJECTS, type ReferenceProject, type RegistryState, findProject, storeOf, visibilityOf } from "./state.js";
import { GroupPackageStore, RequestScopedStore } from "./store.js";

const REALM = `realm="${GITLAB_FACTS.realm.value}"`;

type Headers = Readonly<Record<string, string | undefined>>;

/** The answer to send instead of serving. */
export interface Refusal {
  readonly refused: ReferenceReply;
}

function refusal(reply: ReferenceReply): Refusal {
  return { refused: reply };
}

/** Where a format request goes, once its project or group is known to exist. */
export type Place =
  | { readonly level: "project"; readonly project: ReferenceProject }
  | { readonly level: "group" }
  | { readonly level: "instance" };

/** What a route is told about its caller and may reach. */
export interface Grant {
  readonly principal: Principal;
  readonly store: PackageStore;
  readonly project: ReferenceProject;
  readonly visibility: "private" | "public";
}

/** The caller of one route, as far as the access rules care. */
interface Caller {
  readonly identity: Identity | undefined;
  readonly route: ReferenceRoute;
  /** The `WWW-Authenticate` value of a 401 for this route. */
  readonly challenge: string;
}

/** What an anonymous caller gets where credentials are needed; built only for a caller who gets it. */
function anonymousReply(caller: Caller): ReferenceReply {
  return caller.route.anonymous === 404
    ? messageReply(404, "404 Project Not Found")
    : messageReply(401, "401 Unauthorized", { "www-authenticate": caller.challenge });
}

type Rights = Pick<Principal, "canRead" | "canWrite" | "canDestroy">;

/**
 * For a format that checks credentials before it looks the project up
 * (`authenticateFirst`): a caller without valid credentials gets 401 for an
 * unknown project or group rather than learning that it does not exist.
 */
export function unknownPlaceChallenge(state: RegistryState, headers: Headers, format: ReferenceFormat): ReferenceReply | undefined {
  const early = authenticate(headers, format.auth, state.identities, { basicUsernames: format.basicUsernames });
  if (early.kind === "identified") return undefined;
  const scheme = format.auth.includes("basic") ? "Basic" : "Bearer";
  return messageReply(401, "401 Unauthorized", { "www-authenticate": `${scheme} ${REALM}` });
}

/** Reads the caller's credentials for `route` and decides whether and how it is served at `place`. */
export function grantRoute(state: RegistryState, call: Call, format: ReferenceFormat, route: ReferenceRoute, place: Place): Grant | Refusal {
  const schemes = route.auth ?? format.auth;
  const challenge = schemes.includes("basic") ? `Basic ${REALM}` : `Bearer ${REALM}`;
  // Public routes (GitLab's NuGet service index) read no credentials at all.
  const auth =
    route.access === "public"
      ? ({ kind: "anonymous" } as const)
      : authenticate(call.headers, schemes, state.identities, { basicUsernames: format.basicUsernames, basicKinds: format.basicKinds, bearerToken: format.bearerToken });
  if (auth.kind === "ambiguous") return refusal(messageReply(400, "400 Bad request - Found more than one set of credentials"));
  if (auth.kind === "invalid") return refusal(messageReply(401, "401 Unauthorized", { "www-authenticate": challenge }));
  const caller: Caller = { identity: auth.kind === "identified" ? auth.identity : undefined, route, challenge };
  return place.level === "project"
    ? projectGrant(state, call, format.segment, caller, place.project)
    : poolGrant(state, format.segment, caller, place.level);
}

/** A member's access, or `guest` for anyone on a public project; undefined: the project is hidden from them. */
export function accessOf(state: RegistryState, identity: Identity | undefined, project: number): Access | "guest" | undefined {
  return identity?.access.get(project) ?? (visibilityOf(state, project) === "public" ? "guest" : undefined);
}

/** Project level: the caller's rights in the project and a store whose unfinished uploads end with the request. */
function projectGrant(state: RegistryState, call: Call, segment: string, caller: Caller, project: ReferenceProject): Grant | Refusal {
  const { identity } = caller;
  const visibility = visibilityOf(state, project.id);
  const member = identity?.access.get(project.id);
  // Anyone may read a public project; only members write.
  const canWrite = member === "write" || member === "maintain";
  const rights: Rights = {
    canRead: accessOf(state, identity, project.id) !== undefined,
    canWrite,
    canDestroy: member === "maintain" || (canWrite && (identity?.kind === "deploy" || identity?.kind === "readonly")),
  };
  const refused = projectRefusal(caller, visibility, rights);
  if (refused) return refusal(refused);
  const principal: Principal = identity
    ? { kind: identity.kind, name: identity.name, canRead: rights.canRead, canWrite: rights.canWrite, canDestroy: rights.canDestroy }
    : { kind: "anonymous", name: "anonymous", canRead: rights.canRead, canWrite: false, canDestroy: false };
  const store = new RequestScopedStore(storeOf(state, project.id, segment), call.cleanups);
  return { principal, store, project, visibility };
}

function projectRefusal(caller: Caller, visibility: "private" | "public", rights: Rights): ReferenceReply | undefined {
  const { identity, route } = caller;
  if (route.access === "public") return undefined;
  if (!identity && (route.access !== "read" || visibility === "private")) return anonymousReply(caller);
  // GitLab hides projects a caller may not see.
  if (!rights.canRead) return messageReply(404, "404 Project Not Found");
  if ((route.access === "write" || route.access === "destroy") && !rights.canWrite) return messageReply(403, "403 Forbidden");
  if (route.access === "destroy" && !rights.canDestroy) return messageReply(403, "403 Forbidden");
  return undefined;
}

/**
 * Group and instance level: read-only, over the projects of the group (or of
 * the instance) the caller is a member of, in project order.
 */
function poolGrant(state: RegistryState, segment: string, caller: Caller, level: "group" | "instance"): Grant | Refusal {
  const { identity, route } = caller;
  const pool: readonly number[] = level === "group" ? GROUP.projects : PROJECTS.map((p) => p.id);
  const readable = PROJECTS.filter((p) => pool.includes(p.id) && identity?.access.has(p.id));
  if (route.access !== "public") {
    if (!identity) return refusal(anonymousReply(caller));
    if (readable.length === 0) return refusal(messageReply(404, "404 Group Not Found"));
  }
  const principal: Principal = identity
    ? { kind: identity.kind, name: identity.name, canRead: readable.length > 0, canWrite: false, canDestroy: false }
    : { kind: "anonymous", name: "anonymous", canRead: false, canWrite: false, canDestroy: false };
  const store = new GroupPackageStore(readable.map((p) => storeOf(state, p.id, segment)));
  return { principal, store, project: readable[0] ?? DEMO, visibility: "private" };
}

/** The settings endpoints are the demo user's (an instance admin and group owner); anyone else is refused. */
export function adminRefusal(state: RegistryState, headers: Headers): ReferenceReply | undefined {
  const auth = authenticate(headers, ["headers", "bearer"], state.identities, { deployTokens: false });
  // The admin API reads neither deploy nor job tokens: such a caller is anonymous.
  if (auth.kind !== "identified" || auth.identity.kind === "job") return messageReply(401, "401 Unauthorized");
  if (!auth.identity.admin) return messageReply(403, "403 Forbidden");
  return undefined;
}

/**
 * The project a GitLab REST API call names and the caller's access to it.
 * The REST API takes the token headers or a Bearer token, not Basic, and no
 * deploy tokens (GITLAB_FACTS.restApiCredentials): those callers are anonymous.
 */
export function restApiAccess(
  state: RegistryState,
  headers: Headers,
  rawProject: string,
): { readonly project: ReferenceProject; readonly access: Access | "guest" } | Refusal {
  const auth = authenticate(headers, ["headers", "bearer"], state.identities, { deployTokens: false });
  if (auth.kind === "invalid" || auth.kind === "ambiguous") return refusal(messageReply(401, "401 Unauthorized"));
  const identity = auth.kind === "identified" ? auth.identity : undefined;
  const project = findProject(rawProject);
  if (!project) return refusal(messageReply(404, "404 Project Not Found"));
  const access = accessOf(state, identity, project.id);
  if (access) return { project, access };
  // A job token of another project: GitLab's find_project! answers 403 (GITLAB_FACTS.foreignJobToken).
  if (identity?.kind === "job") {
    return refusal(messageReply(403, `403 Forbidden - Authentication by CI/CD job token not allowed from ${identity.name} to ${project.path}.`));
  }
  return refusal(messageReply(404, "404 Project Not Found"));
}
