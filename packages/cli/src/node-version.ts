/**
 * The oldest Node.js the CLI runs on: the floor of every `@regkit/*`
 * package's `engines` (`^22.19.0 || >=24.10.0`, what every dependency
 * accepts: undici 8 needs 22.19.0, @renovatebot/pep440 leaves out 23 and 24
 * before 24.10). `test/engines.test.ts` keeps them in step.
 */
export const MIN_NODE = "22.19.0";

/** Whether `version` ("20.20.2", as in `process.versions.node`) is older than {@link MIN_NODE}. */
export function nodeTooOld(version: string): boolean {
  const have = version.split(".").map((part) => Number.parseInt(part, 10) || 0);
  const need = MIN_NODE.split(".").map(Number);
  for (let i = 0; i < need.length; i++) {
    const a = have[i] ?? 0;
    const b = need[i] ?? 0;
    if (a !== b) return a < b;
  }
  return false;
}
