/** One file of a project page, from PEP 503 HTML or PEP 691 JSON. */
export interface SimpleFile {
  readonly filename: string;
  /** Absolute URL, fragment removed. */
  readonly url: string;
  readonly sha256?: string | undefined;
  readonly requiresPython?: string | undefined;
  readonly yanked: boolean;
}

export const JSON_TYPE = "application/vnd.pypi.simple.v1+json";
export const HTML_TYPE = "application/vnd.pypi.simple.v1+html";

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", "#39": "'" };

/** Decodes the HTML character references attribute values and text may carry. */
export function unescapeHtml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (all, ref: string) => {
    if (ref[0] === "#") {
      const code = ref[1] === "x" || ref[1] === "X" ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : all;
    }
    return ENTITIES[ref.toLowerCase()] ?? all;
  });
}

/** Escapes text for an HTML attribute or text node. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

function attributes(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of tag.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
    out.set(m[1]!.toLowerCase(), unescapeHtml(m[2] ?? m[3] ?? m[4] ?? ""));
  }
  return out;
}

function file(href: string, text: string, page: string, extra: { requiresPython?: string | undefined; yanked: boolean }): SimpleFile {
  const url = new URL(href, page);
  const fragment = url.hash.slice(1);
  url.hash = "";
  const sha256 = /(?:^|&)sha256=([0-9a-f]{64})/i.exec(fragment)?.[1]?.toLowerCase();
  return { filename: text.trim() || decodeURIComponent(url.pathname.split("/").pop() ?? ""), url: url.toString(), sha256, ...extra };
}

/** Parses a PEP 503 project page. */
export function parseSimpleHtml(html: string, pageUrl: string): SimpleFile[] {
  const files: SimpleFile[] = [];
  for (const m of html.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a\s*>/gi)) {
    const attrs = attributes(m[1]!);
    const href = attrs.get("href");
    if (!href) continue;
    files.push(file(href, unescapeHtml(m[2]!.replace(/<[^>]*>/g, "")), pageUrl, { requiresPython: attrs.get("data-requires-python"), yanked: attrs.has("data-yanked") }));
  }
  return files;
}

interface Pep691 {
  meta?: { "api-version"?: string };
  name?: string;
  files?: { filename?: string; url?: string; hashes?: Record<string, string>; "requires-python"?: string; yanked?: boolean | string }[];
}

/**
 * Parses a PEP 691 JSON project page. A `#sha256=` fragment on `url` (GitLab
 * adds one) is dropped from the URL; `hashes.sha256` wins over it.
 */
export function parseSimpleJson(doc: Pep691, pageUrl: string): SimpleFile[] {
  return (doc.files ?? []).flatMap((f) => {
    if (!f.url || !f.filename) return [];
    const url = new URL(f.url, pageUrl);
    const fragment = /(?:^|&)sha256=([0-9a-f]{64})/i.exec(url.hash.slice(1))?.[1];
    url.hash = "";
    const sha256 = (f.hashes?.sha256 ?? fragment)?.toLowerCase();
    return [{ filename: f.filename, url: url.toString(), sha256, requiresPython: f["requires-python"], yanked: Boolean(f.yanked) }];
  });
}
