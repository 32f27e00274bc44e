/** Headers whose values are credentials, whatever they contain (with {@link isCredentialHeader}'s pattern). */
const SECRET_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "private-token",
  "deploy-token",
  "job-token",
  "x-nuget-apikey",
  "cookie",
  "set-cookie",
]);

const REDACTED = "[REDACTED]";

/**
 * Any header a format may carry a credential in: the known ones, and any
 * whose name says token, key, auth, secret, password or session
 * (`X-NuGet-ApiKey`, `X-JFrog-Art-Api`, `X-Auth-Token`), so a new format's own
 * credential header is blanked without a change here.
 */
export function isCredentialHeader(name: string): boolean {
  const known = credentialHeaders.get(name);
  if (known !== undefined) return known;
  const lower = name.toLowerCase();
  // `auth` only as a whole word (`x-auth`, `authorization`): `www-authenticate` carries the realm, evidence worth keeping.
  const credential = SECRET_HEADERS.has(lower) || /token|api-?key|art-?api|secret|passw|session|(^|-)auth(orization)?($|-)/.test(lower);
  // Bounded: header names are few, but a registry may invent any.
  if (credentialHeaders.size >= 256) credentialHeaders.clear();
  credentialHeaders.set(name, credential);
  return credential;
}

// Every recorded exchange asks about the same few header names.
const credentialHeaders = new Map<string, boolean>();

/**
 * Every form a secret may take on the wire: itself, URL-encoded, and inside
 * base64 (Basic auth carries `user:secret`; base64 of a longer string contains
 * the secret's own encoding only at aligned offsets, so all three are listed).
 */
function secretForms(secret: string): readonly string[] {
  const known = formsCache.get(secret);
  if (known) return known;
  const computed = computeForms(secret);
  // Bounded: a long-lived process may see many secrets (one per run).
  if (formsCache.size >= 64) formsCache.delete(formsCache.keys().next().value!);
  formsCache.set(secret, computed);
  return computed;
}

// Redaction runs on every recorded exchange: the forms of a secret are worked out once.
const formsCache = new Map<string, readonly string[]>();

function computeForms(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret)]);
  for (let pad = 0; pad < 3; pad++) {
    const b64 = Buffer.from(`${"x".repeat(pad)}${secret}`).toString("base64");
    // Drop the characters that depend on the padding prefix and on what follows.
    const start = Math.ceil((pad * 4) / 3);
    const inner = b64.slice(start, Math.max(start, b64.length - 4));
    if (inner.length >= 8) forms.add(inner);
  }
  return [...forms].filter((f) => f.length >= 4).sort((a, b) => b.length - a.length);
}

/**
 * Credentials a registry issues during a run, which no list of secrets can
 * hold in advance: JSON Web Tokens (an OCI token realm's Bearer tokens, GitLab's
 * job tokens) wherever they appear, and the value of a JSON `token`,
 * `access_token`, `refresh_token` or `id_token` field (a token endpoint's or a
 * login's answer recorded as evidence).
 */
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const TOKEN_FIELD = /("(?:access_|refresh_|id_)?token"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;

function redactIssued(text: string): string {
  // Most texts (paths, header values) hold neither: two quick scans spare the replacing.
  if (text.includes("eyJ")) text = text.replace(JWT, REDACTED);
  return TOKEN_WORD.test(text) ? text.replace(TOKEN_FIELD, `$1"${REDACTED}"`) : text;
}
const TOKEN_WORD = /token"/i;

/** What redacting with one list of secrets needs, worked out once per list. */
interface Plan {
  /** The list as it was when planned (a list changed since is planned again). */
  readonly secrets: readonly string[];
  readonly usable: readonly string[];
  /** Every form of every usable secret, longest first within a secret. */
  readonly forms: readonly string[];
  /**
   * Base64 words long enough to decode to something holding the shortest
   * secret: n characters decode to at most ⌊3n/4⌋ bytes, so shorter words
   * cannot hold it and are not decoded.
   */
  readonly words: RegExp;
}

// Redaction runs on every recorded exchange with the same few lists: each list's plan is worked out once.
const plans = new WeakMap<readonly string[], Plan>();

function planOf(secrets: readonly string[]): Plan {
  const known = plans.get(secrets);
  if (known && known.secrets.length === secrets.length && known.secrets.every((s, i) => s === secrets[i])) return known;
  const usable = secrets.filter((s) => s && s.length >= 4);
  const shortest = Math.min(...usable.map((s) => Buffer.byteLength(s)));
  const minWord = Math.max(8, Math.ceil((4 * shortest) / 3));
  const plan: Plan = {
    secrets: [...secrets],
    usable,
    forms: usable.flatMap((secret) => secretForms(secret)),
    words: new RegExp(`[A-Za-z0-9+/]{${Number.isFinite(minWord) ? minWord : 8},}={0,2}`, "g"),
  };
  plans.set(secrets, plan);
  return plan;
}

/**
 * Replaces every occurrence of every secret (raw, URL-encoded, base64) with
 * `[REDACTED]`, and every credential the registry issued ({@link redactIssued}).
 */
export function redact(text: string, secrets: readonly string[]): string {
  const { usable, forms, words } = planOf(secrets);
  text = redactIssued(text);
  if (usable.length === 0) return text;
  // Base64 words that decode to something holding a secret (Basic `user:token`).
  let out = text.replace(words, (word) => {
    const decoded = Buffer.from(word, "base64").toString("utf8");
    return usable.some((s) => decoded.includes(s)) ? REDACTED : word;
  });
  for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
  return out;
}

/** Copies headers with credential headers blanked and secrets removed from the rest. */
export function redactHeaders(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  secrets: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(", ") : String(raw);
    const lower = key.toLowerCase();
    if (isCredentialHeader(lower)) {
      // Keep the scheme: "Bearer [REDACTED]" says how the credential travelled.
      const scheme = /^(Bearer|Basic|Token)\s/i.exec(value)?.[1];
      out[lower] = scheme ? `${scheme} ${REDACTED}` : REDACTED;
    } else {
      out[lower] = redact(value, secrets);
    }
  }
  return out;
}

/** Removes user info from a URL and redacts secrets in it. */
export function redactUrl(url: string, secrets: readonly string[]): string {
  let out = url;
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = parsed.username ? "REDACTED" : "";
      parsed.password = parsed.password ? "REDACTED" : "";
      out = parsed.toString();
    }
  } catch {
    // not a URL: redact as text
  }
  return redact(out, secrets);
}
