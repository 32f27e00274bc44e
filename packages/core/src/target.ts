import { randomBytes } from "node:crypto";
import {
  DEFAULT_OPTIONS,
  type Credential,
  type FormatKit,
  type AnyProfile,
  type RegistryClient,
  type ResolvedTarget,
  type Target,
  type TokenKind,
} from "./contract.js";
import { ConfigError } from "./errors.js";
import { applySettings } from "./settings.js";

/** Merges a target with its kit profile; a ConfigError for an unknown profile or a bad URL. */
export function resolveTarget<C extends RegistryClient, P extends AnyProfile>(kit: FormatKit<C, P>, target: Target): ResolvedTarget<P> {
  const profileName = target.profile ?? kit.defaultProfile;
  const profile = kit.profiles[profileName];
  if (!profile) {
    throw new ConfigError(
      `unknown profile "${profileName}" for ${kit.format} (known: ${Object.keys(kit.profiles).join(", ")})`,
    );
  }
  let url: URL;
  try {
    url = new URL(target.registry);
  } catch {
    throw new ConfigError(`registry "${target.registry}" is not a URL (expected http(s)://host/path)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`registry "${target.registry}" must be an http or https URL`);
  }
  if (url.username || url.password) {
    throw new ConfigError("put credentials in the environment (REGKIT_*_TOKEN), not in the registry URL");
  }
  const applied = applySettings(
    profile,
    {
      capabilities: { ...profile.capabilities, ...stripUndefined(target.capabilities ?? {}) } as Record<string, boolean>,
      policies: { ...profile.policies, ...stripUndefined(target.policies ?? {}) },
      limits: { ...profile.limits, ...stripUndefined(target.limits ?? {}) },
      deviations: { ...profile.deviations },
      deniedStatus: profile.deniedStatus,
    },
    target.settings ?? {},
  );
  const options = { ...DEFAULT_OPTIONS, ...stripUndefined(target.options ?? {}), ...applied.options };
  for (const [key, value] of Object.entries(options)) {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new ConfigError(`option ${key} must be a non-negative number, not ${String(value)}`);
    }
  }
  const { draft } = applied;
  const capabilities = draft.capabilities as P["capabilities"];
  const policies = { ...draft.policies };
  const limits = { ...draft.limits };
  return {
    registry: url.toString().replace(/\/+$/, ""),
    // The profile's own members (a kit's `basicUser`) stay: drivers read them, typed.
    profile: { ...profile, deviations: draft.deviations, deniedStatus: draft.deniedStatus, capabilities, policies, limits },
    credentials: target.credentials ?? {},
    capabilities,
    policies,
    limits,
    options,
    settings: {
      ...applied.effective,
      ...capabilities,
      duplicates: policies.duplicates,
      duplicateStatus: policies.duplicateStatus,
      deniedStatus: draft.deniedStatus ?? [401, 403, 404],
      maxFileSize: limits.maxFileSize,
      ...options,
    },
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The credential of a token kind, or undefined when the target has none.
 * `invalid` is a well-formed secret nobody issued (shaped like the personal
 * token when there is one); `anonymous` carries nothing.
 */
export function credentialFor(target: ResolvedTarget, kind: TokenKind): Credential | undefined {
  const { credentials } = target;
  switch (kind) {
    case "personal":
      return credentials.personal ? { kind, token: credentials.personal, username: credentials.personalUsername } : undefined;
    case "job":
      return credentials.job ? { kind, token: credentials.job } : undefined;
    case "deploy":
      return credentials.deploy ? { kind, token: credentials.deploy.token, username: credentials.deploy.username } : undefined;
    case "readonly":
      return credentials.readonly ? { kind, token: credentials.readonly.token, username: credentials.readonly.username } : undefined;
    case "anonymous":
      return { kind };
    case "invalid": {
      const shape = credentials.personal ?? credentials.job ?? "regkit-invalid-xxxxxxxxxxxxxxxxxxxx";
      const prefix = /^[a-z]+-/.exec(shape)?.[0] ?? "";
      return { kind, token: `${prefix}${randomBytes(Math.max(10, shape.length - prefix.length)).toString("hex").slice(0, Math.max(20, shape.length - prefix.length))}`, username: "regkit-invalid" };
    }
  }
}

/**
 * Where a missing credential comes from, for skip reasons, worded for the
 * caller: the CLI reads `REGKIT_*` variables (`source` "env", the default);
 * `describeConformance` and other programmatic callers pass a target whose
 * `credentials` fields they fill ("target"), and a variable they never read
 * would send them looking in the wrong place.
 */
export function credentialHint(kind: TokenKind, source: "env" | "target" = "env"): string {
  if (source === "target") {
    switch (kind) {
      case "personal":
        return "no personal access token given: set credentials.personal in the target (and credentials.personalUsername, its owner, where the profile needs it)";
      case "deploy":
        return "no deploy token given: set credentials.deploy ({ username, token }) in the target (a token that is undefined or empty counts as none)";
      case "job":
        return "no CI job token given: set credentials.job in the target (CI_JOB_TOKEN in a GitLab job)";
      case "readonly":
        return "no read-only deploy token given: set credentials.readonly ({ username, token }) in the target (a token that is undefined or empty counts as none)";
      default:
        return `no ${kind} credential`;
    }
  }
  switch (kind) {
    case "personal":
      return "no personal access token given: set REGKIT_PERSONAL_TOKEN (and REGKIT_PERSONAL_USERNAME, its owner, where the profile needs it)";
    case "deploy":
      return "no deploy token given: set REGKIT_DEPLOY_TOKEN and REGKIT_DEPLOY_USERNAME";
    case "job":
      return "no CI job token given: set REGKIT_JOB_TOKEN (CI_JOB_TOKEN in a GitLab job)";
    case "readonly":
      return "no read-only deploy token given: set REGKIT_READONLY_TOKEN and REGKIT_READONLY_USERNAME";
    default:
      return `no ${kind} credential`;
  }
}

/**
 * Every secret of a target, and of any further credentials (an `invalid`
 * token made up for the run): the one list every redaction uses, in reports,
 * logs, errors and real clients' output.
 */
export function targetSecrets(target: Pick<ResolvedTarget, "credentials">, ...more: readonly (Credential | undefined)[]): string[] {
  const c = target.credentials;
  const all = [c.personal, c.job, c.deploy?.token, c.readonly?.token, ...more.map((m) => m?.token)];
  return [...new Set(all.filter((s): s is string => typeof s === "string" && s.length > 0))];
}
