/**
 * Maven's version order, as `org.apache.maven.artifact.versioning.ComparableVersion`
 * (maven-artifact 3.8) defines it: the order `<latest>`/`<release>` and version
 * ranges follow. It is checked against the real class by a test when Java and
 * Maven are installed.
 *
 * A version is split into items on `.`, `-` and digit/letter transitions; a
 * `-` (and a transition) opens a sub-list, so `1-1` sorts below `1.1`.
 * Numbers compare as numbers, qualifiers by the list below, unknown qualifiers
 * after every known one, lexically. Trailing "null" items (`0`, `""`, `ga`,
 * `final`, `release`, empty lists) are dropped, so `1.0.0 == 1 == 1-ga`.
 *
 * @module
 */

type Item =
  | { readonly kind: "number"; readonly value: bigint }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "list"; readonly items: Item[] };

/** Known qualifiers, lowest first; `""` is a release. */
const QUALIFIERS = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"] as const;
const ALIASES: ReadonlyMap<string, string> = new Map([
  ["ga", ""],
  ["final", ""],
  ["release", ""],
  ["cr", "rc"],
]);
const RELEASE_INDEX = String(QUALIFIERS.indexOf(""));

/**
 * Maven compares qualifiers through a string key: the index of a known one, or
 * `7-<qualifier>` for an unknown one, compared as Java compares strings.
 */
function comparableQualifier(qualifier: string): string {
  const index = (QUALIFIERS as readonly string[]).indexOf(qualifier);
  return index === -1 ? `${QUALIFIERS.length}-${qualifier}` : String(index);
}

/** Java's `String.compareTo` sign: UTF-16 code units, then length. */
function compareJavaStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return Math.sign(d);
  }
  return Math.sign(a.length - b.length);
}

function stringItem(value: string, followedByDigit: boolean): Item {
  let text = value;
  if (followedByDigit && text.length === 1) {
    // a1 = alpha-1, b1 = beta-1, m1 = milestone-1
    if (text === "a") text = "alpha";
    else if (text === "b") text = "beta";
    else if (text === "m") text = "milestone";
  }
  return { kind: "string", value: ALIASES.get(text) ?? text };
}

/** Java's `Character.isDigit` for one UTF-16 unit (Unicode decimal digits). */
function isDigit(unit: string): boolean {
  return /\p{Nd}/u.test(unit);
}

function digitsValue(digits: string): bigint {
  let value = 0n;
  for (const unit of digits) {
    // Non-ASCII decimal digits: their value is their offset in the block of ten.
    const code = unit.charCodeAt(0);
    let d = code - 48;
    if (d < 0 || d > 9) {
      let zero = code;
      while (zero > 0 && isDigit(String.fromCharCode(zero - 1))) zero--;
      d = (code - zero) % 10;
    }
    value = value * 10n + BigInt(d);
  }
  return value;
}

function parseItem(isDigitRun: boolean, text: string): Item {
  return isDigitRun ? { kind: "number", value: digitsValue(text) } : stringItem(text, false);
}

function isNull(item: Item): boolean {
  switch (item.kind) {
    case "number":
      return item.value === 0n;
    case "string":
      return comparableQualifier(item.value) === RELEASE_INDEX;
    case "list":
      return item.items.length === 0;
  }
}

function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const last = list[i]!;
    if (isNull(last)) list.splice(i, 1);
    else if (last.kind !== "list") break;
  }
}

/** Parses a version into Maven's item tree. */
export function parseMavenVersion(version: string): Item {
  const text = version.toLowerCase();
  const root: Item & { kind: "list" } = { kind: "list", items: [] };
  let list = root;
  const stack: (Item & { kind: "list" })[] = [root];
  const openList = (): void => {
    const next: Item & { kind: "list" } = { kind: "list", items: [] };
    list.items.push(next);
    list = next;
    stack.push(next);
  };
  let digitRun = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "." || c === "-") {
      list.items.push(i === start ? { kind: "number", value: 0n } : parseItem(digitRun, text.slice(start, i)));
      start = i + 1;
      if (c === "-") openList();
    } else if (isDigit(c)) {
      if (!digitRun && i > start) {
        // "1.0rc2": a qualifier directly followed by a number starts its own list.
        if (list.items.length > 0) openList();
        list.items.push(stringItem(text.slice(start, i), true));
        start = i;
        openList();
      }
      digitRun = true;
    } else {
      if (digitRun && i > start) {
        list.items.push(parseItem(true, text.slice(start, i)));
        start = i;
        openList();
      }
      digitRun = false;
    }
  }
  if (text.length > start) {
    if (!digitRun && list.items.length > 0) openList();
    list.items.push(parseItem(digitRun, text.slice(start)));
  }
  while (stack.length > 0) normalize(stack.pop()!.items);
  return root;
}

function compareItems(left: Item, right: Item | undefined): number {
  switch (left.kind) {
    case "number":
      if (right === undefined) return left.value === 0n ? 0 : 1;
      if (right.kind === "number") return left.value < right.value ? -1 : left.value > right.value ? 1 : 0;
      // 1.1 > 1-sp, 1.1 > 1-1
      return 1;
    case "string":
      // 1-rc < 1, 1-ga > 1 (through the release index)
      if (right === undefined) return compareJavaStrings(comparableQualifier(left.value), RELEASE_INDEX);
      if (right.kind === "string") {
        return compareJavaStrings(comparableQualifier(left.value), comparableQualifier(right.value));
      }
      // 1.any < 1.1, 1.any < 1-1
      return -1;
    case "list": {
      if (right === undefined) {
        for (const item of left.items) {
          const result = compareItems(item, undefined);
          if (result !== 0) return result;
        }
        return 0;
      }
      if (right.kind === "number") return -1; // 1-1 < 1.0.x
      if (right.kind === "string") return 1; // 1-1 > 1-sp
      const n = Math.max(left.items.length, right.items.length);
      for (let i = 0; i < n; i++) {
        const l = left.items[i];
        const r = right.items[i];
        const result = l === undefined ? (r === undefined ? 0 : -compareItems(r, undefined)) : compareItems(l, r);
        if (result !== 0) return result;
      }
      return 0;
    }
  }
}

/** Maven's order of two versions: negative, zero or positive. */
export function compareMavenVersions(a: string, b: string): number {
  return compareItems(parseMavenVersion(a), parseMavenVersion(b));
}

/** Maven's canonical form (`1.0.RC2` -> `1-rc-2`), as `ComparableVersion.getCanonical()`. */
export function canonicalMavenVersion(version: string): string {
  const render = (item: Item): string => {
    if (item.kind === "number") return item.value.toString();
    if (item.kind === "string") return item.value;
    let out = "";
    for (const child of item.items) {
      if (out.length > 0) out += child.kind === "list" ? "-" : ".";
      out += render(child);
    }
    return out;
  };
  return render(parseMavenVersion(version));
}

/** Whether a version is a SNAPSHOT, by Maven Resolver's rule (it ends with `SNAPSHOT`). */
export function isSnapshotVersion(version: string): boolean {
  return version.endsWith("SNAPSHOT");
}
