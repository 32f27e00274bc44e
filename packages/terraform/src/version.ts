/**
 * SemVer 2.0.0, the only versions GitLab's Terraform Module Registry takes
 * (`terraformGitLabFacts.versionRule`), and their order (precedence; build
 * metadata breaks ties by code point so distinct versions never compare equal).
 *
 * @module
 */
import { terraformGitLabFacts as facts } from "./gitlab.js";

/** Whether `version` is a SemVer 2.0.0 version (GitLab's `semver_regex`). */
export function isSemver(version: string): boolean {
  return facts.versionRule.value.rule.test(version);
}

function identifiers(text: string | undefined): string[] {
  return text ? text.split(".") : [];
}

function compareIdentifier(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  if (an) return -1;
  if (bn) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** SemVer precedence; anything that is not SemVer sorts before, by code point. */
export function compareTerraformVersions(a: string, b: string): number {
  if (a === b) return 0;
  const ma = facts.versionRule.value.rule.exec(a);
  const mb = facts.versionRule.value.rule.exec(b);
  if (!ma || !mb) {
    if (ma) return 1;
    if (mb) return -1;
    return a < b ? -1 : 1;
  }
  for (let i = 1; i <= 3; i++) {
    const d = compareIdentifier(ma[i]!, mb[i]!);
    if (d !== 0) return d;
  }
  const pa = identifiers(ma[4]);
  const pb = identifiers(mb[4]);
  // A pre-release sorts before its release.
  if (pa.length === 0 && pb.length > 0) return 1;
  if (pb.length === 0 && pa.length > 0) return -1;
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const d = compareIdentifier(pa[i]!, pb[i]!);
    if (d !== 0) return d;
  }
  if (pa.length !== pb.length) return pa.length - pb.length;
  return a < b ? -1 : 1;
}
