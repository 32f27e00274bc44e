// Pins each GitLab fact of a kit with one vitest test titled with the fact's
// id. The test map is typed by the facts object, so a fact without a test (or
// a test without a fact) does not compile: every fact stays pinned.
import { test } from "vitest";
import type { GitLabFact } from "@regkit/core";

export function pinFacts<F extends Readonly<Record<string, GitLabFact>>>(
  facts: F,
  tests: { readonly [K in keyof F]: (fact: F[K]) => Promise<void> },
  options: { readonly timeout?: number } = {},
): void {
  for (const key of Object.keys(facts) as (keyof F & string)[]) {
    const fact = facts[key];
    test(fact.id, { timeout: options.timeout ?? 60_000 }, () => tests[key](fact));
  }
}
