/**
 * Settings: the one way to tell regkit how a registry is configured. Every
 * profile takes its capabilities, `duplicates`, `duplicateStatus`,
 * `deniedStatus`, `maxFileSize` and the scenario options as settings; a
 * profile adds its own (`visibility`, a feature flag). The CLI's `--set`, the
 * config file, `REGKIT_SET` and `describeConformance`'s `settings` all land
 * here, so they parse and fail alike.
 *
 * @module
 */
import {
  DEFAULT_OPTIONS,
  type Profile,
  type ScenarioOptions,
  type SettingDraft,
  type SettingType,
  type SettingValue,
} from "./contract.js";
import { ConfigError } from "./errors.js";

/** A setting as listed for users: its type, meaning and default. */
export interface SettingInfo {
  readonly key: string;
  readonly type: SettingType;
  readonly description: string;
  readonly default: SettingValue;
}

const CAPABILITY_TEXT: Record<string, string> = {
  search: "the registry has a search endpoint",
  listVersions: "the metadata endpoint lists every version",
  delete: "packages can be removed through the protocol (cleanup uses it)",
  distTags: "npm dist-tags (or the format's channel pointers)",
  anonymousRead: "packages can be read without credentials (a public project)",
  invalidTokenRead: "an invalid token on a read is treated as no token (served where anonymous reads are)",
  pep691: "the simple index answers PEP 691 JSON when asked",
};

const OPTION_TEXT: Record<keyof ScenarioOptions, [SettingType, string]> = {
  manyVersions: ["number", "push.many: versions of one package"],
  manyPackages: ["number", "push.many: separate packages"],
  latencyBudgetMs: ["number", "push.many: slowest acceptable metadata response (ms)"],
  latencyGrowthFactor: ["number", "push.many: last-tenth over first-tenth median that fails"],
  latencyGrowthFloorMs: ["number", "push.many: growth below this many ms passes"],
  latencyStopAfter: ["number", "push.many: stop publishing after this many metadata responses in a row over the budget (0: never)"],
  largeSize: ["size", "push.large: size of the large package"],
  numRuns: ["number", "property-based scenarios: runs per property"],
  maxCommands: ["number", "model.random-ops: commands per run"],
  requestTimeoutMs: ["number", "every request: longest wait for the response headers, then for each piece of the body (ms; 0: no limit)"],
  unansweredLimit: ["number", "circuit breaker: requests in a row without any response before the remaining scenarios are not run (0: never)"],
};

/** Every setting `profile` takes, its own first, sorted by key within each group. */
export function settingsOf(profile: Profile): readonly SettingInfo[] {
  const own = Object.entries(profile.settings ?? {}).map(([key, s]) => ({ key, type: s.type, description: s.description, default: s.default }));
  const capabilities = Object.entries(profile.capabilities).map(([key, value]) => ({
    key,
    type: "boolean" as const,
    description: `capability: ${CAPABILITY_TEXT[key] ?? key}`,
    default: value,
  }));
  const generic: SettingInfo[] = [
    { key: "duplicates", type: ["reject", "allow"], description: "policy: publishing an existing version again", default: profile.policies.duplicates },
    { key: "duplicateStatus", type: "statuses", description: "policy: statuses that count as the documented duplicate refusal (empty: any 4xx)", default: profile.policies.duplicateStatus },
    { key: "deniedStatus", type: "statuses", description: "statuses accepted as 'you may not'", default: profile.deniedStatus ?? [401, 403, 404] },
    { key: "maxFileSize", type: "size", description: "limit: largest package file the instance takes (0: unlimited)", default: profile.limits.maxFileSize },
    ...Object.entries(OPTION_TEXT).map(([key, [type, description]]) => ({ key, type, description, default: DEFAULT_OPTIONS[key as keyof ScenarioOptions] })),
  ];
  const byKey = (a: SettingInfo, b: SettingInfo): number => a.key.localeCompare(b.key);
  return [...own.sort(byKey), ...capabilities.sort(byKey), ...generic.sort(byKey)];
}

/** `boolean`, `size (64MiB, 500MB, 4096B)`, `reject | allow`. */
export function describeType(type: SettingType): string {
  if (typeof type !== "string") return type.join(" | ");
  if (type === "size") return "size (64MiB, 500MB, 4096B)";
  if (type === "statuses") return "statuses (400,409)";
  return type;
}

/** Every valid key with its type: one a line for listings, or `separator`-joined (errors stay one line). */
export function describeSettings(profile: Profile, separator = "\n"): string {
  return settingsOf(profile)
    .map((s) => `${separator === "\n" ? "  " : ""}${s.key}: ${describeType(s.type)}`)
    .join(separator);
}

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/**
 * "64MiB", "500MB", "4096B" -> bytes; undefined when it is not a size. The
 * unit is required: "4" is refused rather than read as 4 bytes, which is
 * never what someone who types it means. Only a bare "0" passes, since zero
 * is zero in any unit (for maxFileSize it means unlimited).
 */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unitText = (match[2] ?? "").toLowerCase();
  if (unitText === "") return amount === 0 ? 0 : undefined;
  const unit = UNITS[unitText];
  return unit === undefined ? undefined : Math.round(amount * unit);
}

/** Parses one value by its type; undefined when it does not fit. */
export function parseSettingValue(type: SettingType, raw: unknown): SettingValue | undefined {
  if (typeof type !== "string") return typeof raw === "string" && type.includes(raw) ? raw : undefined;
  switch (type) {
    case "boolean":
      if (typeof raw === "boolean") return raw;
      if (typeof raw === "string" && /^(true|false|yes|no|on|off|1|0)$/i.test(raw.trim())) return /^(true|yes|on|1)$/i.test(raw.trim());
      return undefined;
    case "number": {
      const n = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : Number.NaN;
      return Number.isFinite(n) && n >= 0 ? n : undefined;
    }
    case "size":
      if (typeof raw === "number") return Number.isSafeInteger(raw) && raw >= 0 ? raw : undefined;
      return typeof raw === "string" ? parseSize(raw) : undefined;
    case "string":
      return typeof raw === "string" ? raw : undefined;
    case "statuses": {
      const list = Array.isArray(raw) ? raw : typeof raw === "number" ? [raw] : typeof raw === "string" ? raw.split(/[\s,]+/).filter(Boolean) : undefined;
      if (!list) return undefined;
      const statuses = list.map((x) => Number(x));
      return statuses.every((n) => Number.isInteger(n) && n >= 100 && n <= 599) ? statuses : undefined;
    }
  }
}

/**
 * `key=value` pairs (from `--set` or `REGKIT_SET`, which separates them by
 * white space or `;`) into a settings record; a ConfigError for a pair
 * without `=`.
 */
export function parseSettingPairs(pairs: readonly string[], where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new ConfigError(`${where}: "${pair}" is not key=value`);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return out;
}

/** What applying settings gives back to `resolveTarget`. */
export interface AppliedSettings {
  readonly draft: SettingDraft;
  readonly options: Partial<ScenarioOptions>;
  readonly effective: Record<string, SettingValue>;
}

/**
 * Applies `given` (raw values) on top of `draft`: the profile's own settings
 * first, then the generic ones, so an explicit `anonymousRead=false` wins over
 * what `visibility=public` implied. Throws ConfigError for an unknown key or a
 * value of the wrong type, listing every valid key with its type.
 */
export function applySettings(profile: Profile, draft: SettingDraft, given: Readonly<Record<string, unknown>>): AppliedSettings {
  const infos = new Map(settingsOf(profile).map((s) => [s.key, s]));
  const parsed = new Map<string, SettingValue>();
  for (const [key, raw] of Object.entries(given)) {
    if (raw === undefined) continue;
    const info = infos.get(key);
    if (!info) {
      throw new ConfigError(`unknown setting "${key}" for the ${profile.name} profile (valid settings: ${describeSettings(profile, "; ")})`);
    }
    const value = parseSettingValue(info.type, raw);
    if (value === undefined) {
      throw new ConfigError(
        `setting ${key} expects ${describeType(info.type)}, not ${JSON.stringify(raw)} (valid settings: ${describeSettings(profile, "; ")})`,
      );
    }
    parsed.set(key, value);
  }
  for (const [key, setting] of Object.entries(profile.settings ?? {})) {
    const value = parsed.get(key);
    if (value !== undefined) setting.apply(value, draft);
  }
  const options: Partial<Record<keyof ScenarioOptions, number>> = {};
  for (const [key, value] of parsed) {
    if (profile.settings?.[key]) continue;
    if (key in OPTION_TEXT) options[key as keyof ScenarioOptions] = value as number;
    else if (key === "duplicates") draft.policies.duplicates = value as "reject" | "allow";
    else if (key === "duplicateStatus") draft.policies.duplicateStatus = value as readonly number[];
    else if (key === "deniedStatus") draft.deniedStatus = value as readonly number[];
    else if (key === "maxFileSize") draft.limits.maxFileSize = value as number;
    else draft.capabilities[key] = value as boolean;
  }
  const effective: Record<string, SettingValue> = {};
  for (const [key, setting] of Object.entries(profile.settings ?? {})) effective[key] = parsed.get(key) ?? setting.default;
  return { draft, options, effective };
}
