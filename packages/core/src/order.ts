/**
 * Orders strings as opaque versions: numeric runs by value (`1.10` after
 * `1.9`), the rest as English text, then by code unit, so that distinct
 * strings never compare equal (a sort is stable and total). The order Conan's
 * and Generic's kits give their versions.
 */
export function compareNumericText(a: string, b: string): number {
  if (a === b) return 0;
  return NUMERIC.compare(a, b) || (a < b ? -1 : 1);
}

// `a.localeCompare(b, "en", { numeric: true })` looks the collator up on every call; sorts call this often.
const NUMERIC = new Intl.Collator("en", { numeric: true });
