/**
 * The preflight: before any scenario runs, whether the setup can work at all.
 * A wrong URL, a wrong GitLab project, a refused token or no token at all is
 * the user's setup, not the registry's conformance: reported once, with the
 * fix, instead of as a failure per scenario and token kind.
 *
 * What it checks, with a few requests that create nothing: the registry
 * answers (one GET of the URL); the URL is the format's endpoint and, for a
 * GitLab project endpoint, names a project the credentials can see (GitLab's
 * Packages API, and what the format's metadata route answers for a package
 * that does not exist); and each credential the run will use is accepted for
 * reading. Whether a credential may write is learnt from the first publish
 * under it (see {@link writeRefusal}): publishing here only to find out would
 * leave packages where cleanup may not reach them.
 *
 * @module
 */
import type { Credential, Credentials, Exchange, FormatKit, RegistryClient, ResolvedTarget, TokenKind } from "./contract.js";
import { ProtocolError } from "./errors.js";
import { gitlabApiHeaders, gitlabProjectApi } from "./gitlab.js";
import { createHttpClient, type RequestWatch } from "./http.js";
import { redact } from "./redact.js";

/**
 * Where the caller's credentials come from, for the wording of skip reasons
 * and fixes: `env` for the CLI (`REGKIT_*` variables), `target` for callers
 * that fill `Target.credentials` themselves (`describeConformance`).
 */
export type CredentialSource = "env" | "target";

/** One setup problem: which check found it, what it saw (with the request), and what to change. */
export interface PreflightProblem {
  /** `registry`, `endpoint`, `project`, `credentials`, `credential:<kind>` (refused for reading), `write:<kind>` (refused for writing). */
  readonly check: string;
  readonly message: string;
  readonly fix: string;
}

/** What the preflight found: no problems, or the setup errors that kept scenarios from running. */
export interface PreflightReport {
  readonly problems: readonly PreflightProblem[];
}

/** The message of every scenario a setup problem kept from running. */
export const NOT_RUN_SETUP = "not run: setup error: see preflight";

/** The longest any preflight request waits for its answer (or `requestTimeoutMs`, when shorter). */
export const PREFLIGHT_TIMEOUT_MS = 15_000;

const LABEL: Readonly<Record<TokenKind, string>> = {
  personal: "personal access token",
  deploy: "deploy token",
  job: "CI job token",
  readonly: "read-only deploy token",
  anonymous: "anonymous caller",
  invalid: "invalid token",
};

const ENV_NAME: Readonly<Partial<Record<TokenKind, string>>> = {
  personal: "REGKIT_PERSONAL_TOKEN",
  deploy: "REGKIT_DEPLOY_TOKEN (and REGKIT_DEPLOY_USERNAME)",
  job: "REGKIT_JOB_TOKEN",
  readonly: "REGKIT_READONLY_TOKEN (and REGKIT_READONLY_USERNAME)",
};

const FIELD_NAME: Readonly<Partial<Record<TokenKind, string>>> = {
  personal: "credentials.personal",
  deploy: "credentials.deploy",
  job: "credentials.job",
  readonly: "credentials.readonly",
};

/** Where the credential of `kind` is set: `REGKIT_DEPLOY_TOKEN (and ...)` or `credentials.deploy`. */
export function credentialSetting(kind: TokenKind, source: CredentialSource): string {
  return (source === "env" ? ENV_NAME[kind] : FIELD_NAME[kind]) ?? kind;
}

/** "the deploy token (REGKIT_DEPLOY_TOKEN ...)". */
function named(kind: TokenKind, source: CredentialSource): string {
  return `the ${LABEL[kind]} (${credentialSetting(kind, source)})`;
}

function filled(token: string | undefined): token is string {
  // `process.env.X!` is undefined at run time whatever its type says.
  return typeof token === "string" && token.length > 0;
}

/**
 * The credentials that are really there: a token that is undefined or empty
 * (an unset CI variable read as `process.env.DEPLOY_TOKEN!`) counts as none,
 * so its kind is skipped with the reason instead of sent and refused.
 */
export function presentCredentials(credentials: Credentials | undefined): Credentials {
  const c = credentials ?? {};
  return {
    personal: filled(c.personal) ? c.personal : undefined,
    personalUsername: filled(c.personalUsername) ? c.personalUsername : undefined,
    deploy: c.deploy && filled(c.deploy.token) ? c.deploy : undefined,
    job: filled(c.job) ? c.job : undefined,
    readonly: c.readonly && filled(c.readonly.token) ? c.readonly : undefined,
  };
}

/** Whether any credential at all is given. */
export function anyCredential(credentials: Credentials): boolean {
  return credentials.personal !== undefined || credentials.deploy !== undefined || credentials.job !== undefined || credentials.readonly !== undefined;
}

/** What the preflight needs of a run: RunSession has it. */
export interface PreflightSession {
  readonly kit: FormatKit;
  readonly target: ResolvedTarget;
  readonly runId: string;
  readonly secrets: readonly string[];
  readonly credentialSource: CredentialSource;
  secretsFor(credential?: Credential): readonly string[];
  connect(
    credential: Credential,
    record: (e: Exchange) => void,
    options: { readonly via?: string | undefined; readonly signal?: AbortSignal | undefined; readonly timeoutMs?: number | undefined },
  ): RegistryClient;
}

/** What the preflight found, and whether it could look at all. */
export interface PreflightOutcome {
  readonly problems: readonly PreflightProblem[];
  /**
   * The registry took the connection and never answered: not a setup
   * problem one can fix here, so, as before the preflight existed, every
   * scenario is an error with this message.
   */
  readonly silent?: string | undefined;
  /** The run's signal fired before the preflight was done. */
  readonly interrupted?: boolean | undefined;
}

/** "GET /foo -> 401 (401 Unauthorized)": the request and the start of the registry's answer. */
function describe(e: Exchange): string {
  const snippet = (e.responseSnippet ?? "").replace(/\s+/g, " ").trim();
  return `${e.method} ${e.path} -> ${e.status === 0 ? "no response" : e.status}${snippet ? ` (${snippet.slice(0, 160)})` : ""}`;
}

/** The project a GitLab project endpoint names (`42`, `group/app`), or undefined. */
function gitlabProject(registry: string): string | undefined {
  const raw = /\/api\/v4\/projects\/([^/]+)\/packages\//i.exec(registry)?.[1];
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** GitLab's answer for a project or group a caller may not see, or that does not exist. */
const HIDDEN_PLACE = /\b404 (project|group) not found\b/i;

/** A 403 about the package rather than the caller: a duplicate, a size limit, a validation. */
const CONTENT_REFUSAL = /already exists|duplicate|already been taken|too large|validation|invalid/i;

/**
 * One GET of the registry URL, without credentials: any status counts as
 * reachable. A refused connection is a setup problem; no answer in time is
 * the registry's silence (`silent`).
 */
async function reach(session: PreflightSession, timeoutMs: number, signal: AbortSignal | undefined): Promise<{ problem?: PreflightProblem; silent?: string; interrupted?: boolean }> {
  const { registry } = session.target;
  let silent: string | undefined;
  const watch: RequestWatch = {
    start: () => ({ answered: () => {}, unanswered: (message) => (silent = message), done: () => {} }),
  };
  const http = createHttpClient({ baseUrl: registry, authHeaders: {}, via: "preflight", record: () => {}, secrets: session.secrets, timeoutMs, signal, watch });
  try {
    const res = await http.request({ method: "GET", path: "/", noAuth: true });
    await res.dump();
    return {};
  } catch (error) {
    if (signal?.aborted) return { interrupted: true };
    if (silent && / got no response within /.test(silent)) {
      return { silent: `not run: the registry stopped answering (GET ${registry} got no response within ${Number((timeoutMs / 1000).toFixed(1))} s)` };
    }
    const message = (error as Error).message.replace(/^GET \S+ failed without a response: /, "");
    return {
      problem: {
        check: "registry",
        message: redact(`registry unreachable: GET ${registry} failed: ${message}`, session.secrets),
        fix: "check the host and port of the registry URL, and that the registry is running and reachable from this machine (a proxy, VPN or firewall in between)",
      },
    };
  }
}

/** What one credential's read of a package that does not exist came to. */
interface Observation {
  readonly credential: Credential;
  readonly exchanges: readonly Exchange[];
  readonly error: unknown;
}

/** Reads the versions of a name no run ever publishes, with `credential`: a 404 (or an empty list) is the healthy answer. */
async function observe(session: PreflightSession, credential: Credential, timeoutMs: number, signal: AbortSignal | undefined): Promise<Observation> {
  const exchanges: Exchange[] = [];
  try {
    const client = session.connect(credential, (e) => exchanges.push(e), { via: "preflight", signal, timeoutMs });
    await client.versions(session.kit.packageName(session.runId, "preflight"));
    return { credential, exchanges, error: undefined };
  } catch (error) {
    return { credential, exchanges, error };
  }
}

/** What GitLab's Packages API of the project answers to `credential` (personal and job tokens only: it reads no deploy tokens). */
async function askProject(session: PreflightSession, project: string, credential: Credential, timeoutMs: number, signal: AbortSignal | undefined): Promise<Exchange | undefined> {
  const exchanges: Exchange[] = [];
  const http = createHttpClient({ baseUrl: session.target.registry, authHeaders: {}, via: "preflight", record: (e) => exchanges.push(e), secrets: session.secretsFor(credential), timeoutMs, signal });
  try {
    const res = await http.request({ method: "GET", path: `${project}/packages?per_page=1`, headers: gitlabApiHeaders(credential), noAuth: true });
    await res.dump();
  } catch {
    // No answer is no verdict: the scenarios meet the same registry and say what happened.
  }
  return exchanges.at(-1);
}

type Cause = "hidden" | "refused" | "forbidden" | "html" | "redirect";

/** What a read says about the setup, or undefined when it says nothing wrong (or nothing for sure). */
function judge(observation: Observation): { readonly cause: Cause; readonly exchange: Exchange } | undefined {
  const authenticated = observation.credential.kind !== "anonymous";
  const { exchanges, error } = observation;
  // Adapters read a 404 as "no such package", so the body tells GitLab's hidden project apart.
  const hidden = exchanges.find((e) => e.status === 404 && HIDDEN_PLACE.test(e.responseSnippet ?? ""));
  // Anonymous callers get the same 404 from a private project that exists: no verdict for them.
  if (hidden && authenticated) return { cause: "hidden", exchange: hidden };
  const last = exchanges.at(-1);
  if (!last) return undefined;
  if (authenticated && (last.status === 401 || last.status === 403)) return { cause: last.status === 401 ? "refused" : "forbidden", exchange: last };
  if (error instanceof ProtocolError && error.expectation?.expected === "a JSON content type" && /html/i.test(error.expectation.actual)) return { cause: "html", exchange: last };
  if (error !== undefined && last.status >= 300 && last.status < 400) return { cause: "redirect", exchange: last };
  return undefined;
}

/** The fix for a credential the registry refused (for reading or writing). */
function refusedFix(session: PreflightSession, kind: TokenKind, write: boolean): string {
  const source = session.credentialSource;
  const setting = credentialSetting(kind, source);
  const owner = session.target.profile.personalUsername === "required" ? `, and ${source === "env" ? "REGKIT_PERSONAL_USERNAME" : "credentials.personalUsername"} must be its owner's username (this registry checks it)` : "";
  switch (kind) {
    case "personal":
      return write
        ? `check ${setting}: the token needs scope api and its user at least the Developer role in the project${owner}`
        : `check ${setting}: a personal access token that is mistyped, expired or revoked gets 401 (create one under User settings > Access tokens, scope api)${owner}`;
    case "deploy":
      return write
        ? `check its scope write_package_registry (Project > Settings > Repository > Deploy tokens: a deploy token the run writes with needs read_package_registry and write_package_registry), and ${setting}`
        : `check ${setting}: the token and its username must be a deploy token of this project with scope read_package_registry, not expired or revoked`;
    case "job":
      return `check ${setting}: a CI job token is valid only while its job runs, and writes only to its own project's registry${write ? "" : " (and reads only projects that allow it)"}`;
    case "readonly":
      return `check ${setting}: it must be a deploy token of this project with scope read_package_registry`;
    default:
      return `check the ${LABEL[kind]}`;
  }
}

/**
 * The setup problem a refused first publish under `kind` reveals: 401 (the
 * credential is not accepted), or 403 that is not about the package (a
 * duplicate, a size limit or a validation is the registry judging the
 * package, which the scenarios check). Undefined for anything else.
 */
export function writeRefusal(session: PreflightSession, kind: TokenKind, exchange: Exchange): PreflightProblem | undefined {
  if (exchange.status !== 401 && exchange.status !== 403) return undefined;
  if (exchange.status === 403 && CONTENT_REFUSAL.test(exchange.responseSnippet ?? "")) return undefined;
  return {
    check: `write:${kind}`,
    message: redact(`${named(kind, session.credentialSource)} was refused for writing: ${describe(exchange)}`, session.secrets),
    fix: refusedFix(session, kind, true),
  };
}

/** The problem of no credential at all: the run would check nothing and pass. */
function noCredentials(source: CredentialSource): PreflightProblem {
  return source === "env"
    ? {
        check: "credentials",
        message: "no credentials given: set REGKIT_PERSONAL_TOKEN (or REGKIT_DEPLOY_TOKEN with REGKIT_DEPLOY_USERNAME, or REGKIT_JOB_TOKEN): without one every scenario would be skipped and nothing checked",
        fix: "export at least one credential that may publish (in a GitLab job: REGKIT_JOB_TOKEN=$CI_JOB_TOKEN); check that the CI/CD variables are set for this pipeline (protected variables reach protected branches only)",
      }
    : {
        check: "credentials",
        message: "no credentials given: set credentials.personal (or credentials.deploy = { username, token }, or credentials.job) in the target: without one every scenario would be skipped and nothing checked",
        fix: "fill the target's credentials; a token read from an environment variable that is not set is undefined and counts as none",
      };
}

/**
 * Runs the preflight for `credentials` (the ones the run will use, one per
 * kind; `none`: the target has no credential at all). Never throws: what it
 * cannot decide it leaves to the scenarios. Bounded by min(15 s,
 * requestTimeoutMs) for the reachability check, then as long again for the
 * reads, which go out at once.
 */
export async function runPreflight(
  session: PreflightSession,
  credentials: readonly Credential[],
  options: { readonly none: boolean; readonly signal?: AbortSignal | undefined },
): Promise<PreflightOutcome> {
  const { target, kit } = session;
  const { signal } = options;
  const requestTimeoutMs = target.options.requestTimeoutMs;
  const timeoutMs = requestTimeoutMs > 0 ? Math.min(PREFLIGHT_TIMEOUT_MS, requestTimeoutMs) : PREFLIGHT_TIMEOUT_MS;
  if (signal?.aborted) return { problems: [], interrupted: true };

  const reached = await reach(session, timeoutMs, signal);
  if (reached.interrupted) return { problems: [], interrupted: true };
  if (reached.silent) return { problems: [], silent: reached.silent };
  if (reached.problem) return { problems: [reached.problem] };

  // Each credential reads once; with none, one anonymous read still tells a web page from the format's endpoint.
  const readers: readonly Credential[] = credentials.length > 0 ? credentials : [{ kind: "anonymous" }];
  const project = target.profile.name.startsWith("gitlab") ? gitlabProjectApi(target.registry) : undefined;
  // GitLab's REST API reads personal and job tokens, not deploy tokens (GITLAB_FACTS.restApiCredentials).
  const apiCredential = project ? (credentials.find((c) => c.kind === "personal") ?? credentials.find((c) => c.kind === "job")) : undefined;
  const [observations, api] = await Promise.all([
    Promise.all(readers.map((c) => observe(session, c, timeoutMs, signal))),
    project && apiCredential ? askProject(session, project, apiCredential, timeoutMs, signal) : Promise.resolve(undefined),
  ]);
  if (signal?.aborted) return { problems: [], interrupted: true };

  const problems: PreflightProblem[] = [];
  const add = (problem: PreflightProblem): void => {
    if (problems.some((p) => p.check === problem.check)) return;
    problems.push({ ...problem, message: redact(problem.message, session.secrets) });
  };
  const projectId = gitlabProject(target.registry);
  const projectFix = `check the project in the registry URL (…/api/v4/projects/<id or URL-encoded path>/packages/${kit.format})${projectId ? `: is project ${projectId} right?` : ""}; and that the credentials belong to it (GitLab answers 404 for a private project a credential cannot see)`;
  const hiddenMessage = (e: Exchange, who: string): string =>
    `${projectId ? `the registry URL names GitLab project ${projectId}, which does not exist or which ${who} cannot see` : `the registry hides the project of this URL from ${who}`}: ${describe(e)}`;

  const findings = observations.flatMap((o) => {
    const found = judge(o);
    return found ? [{ kind: o.credential.kind, ...found }] : [];
  });
  const authenticated = observations.filter((o) => o.credential.kind !== "anonymous");
  const hidden = findings.filter((f) => f.cause === "hidden");

  if (api && apiCredential) {
    if (api.status === 404 && HIDDEN_PLACE.test(api.responseSnippet ?? "")) {
      add({ check: "project", message: hiddenMessage(api, named(apiCredential.kind, session.credentialSource)), fix: projectFix });
    } else if (api.status === 401) {
      add({ check: `credential:${apiCredential.kind}`, message: `${named(apiCredential.kind, session.credentialSource)} was refused: ${describe(api)}`, fix: refusedFix(session, apiCredential.kind, false) });
    } else if (api.status === 403 && apiCredential.kind === "job") {
      // GitLab's answer to a job token of another project (GITLAB_FACTS.foreignJobToken).
      add({ check: "credential:job", message: `${named("job", session.credentialSource)} was refused for this project: ${describe(api)}`, fix: refusedFix(session, "job", false) });
    }
  }
  // Every credential sees no project: the URL is wrong, once; only some: those credentials are.
  if (hidden.length > 0 && hidden.length === authenticated.length) {
    add({ check: "project", message: hiddenMessage(hidden[0]!.exchange, authenticated.length > 1 ? "any of the credentials" : named(hidden[0]!.kind, session.credentialSource)), fix: projectFix });
  }
  const projectWrong = problems.some((p) => p.check === "project");
  for (const f of findings) {
    const who = named(f.kind, session.credentialSource);
    switch (f.cause) {
      case "hidden":
        if (!projectWrong) add({ check: `credential:${f.kind}`, message: hiddenMessage(f.exchange, who), fix: refusedFix(session, f.kind, false) });
        break;
      case "refused":
        add({ check: `credential:${f.kind}`, message: `${who} was refused for reading: ${describe(f.exchange)}`, fix: refusedFix(session, f.kind, false) });
        break;
      case "forbidden":
        add({
          check: `credential:${f.kind}`,
          message: `${who} may not read this registry's packages: ${describe(f.exchange)}`,
          fix: `give it read access (a deploy token: scope read_package_registry; a personal access token: scope api or read_api, of a user with at least the Reporter role); ${refusedFix(session, f.kind, false)}`,
        });
        break;
      case "html":
        add({
          check: "endpoint",
          message: `the registry URL is not the ${kit.title} endpoint: ${describe(f.exchange)} answered a web page (HTML) where the ${kit.title} protocol wants JSON`,
          fix: `point the registry URL at the ${kit.format} endpoint (GitLab: https://<host>/api/v4/projects/<id>/packages/${kit.format}), not at a web page of the project`,
        });
        break;
      case "redirect":
        add({
          check: "endpoint",
          message: `the registry URL is not the ${kit.title} endpoint: ${describe(f.exchange)} redirects${f.exchange.responseHeaders.location ? ` to ${f.exchange.responseHeaders.location}` : ""} instead of answering`,
          fix: `point the registry URL at the ${kit.format} endpoint itself (GitLab: https://<host>/api/v4/projects/<id>/packages/${kit.format}); a redirect to a sign-in page means a web URL, not the API`,
        });
        break;
    }
  }
  if (options.none) add(noCredentials(session.credentialSource));
  return { problems };
}
