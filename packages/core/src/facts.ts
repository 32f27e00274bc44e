/**
 * GitLab facts: each GitLab behaviour a kit relies on, written once with the
 * place in GitLab's source that defines it. Profiles, the reference registry
 * and the generated "GitLab fidelity" page read the same object, so a fact
 * cannot drift between them.
 *
 * @module
 */
import type { GitLabFact, GitLabSource } from "./contract.js";

/** A fact as written in a facts module: its id comes from the key. */
export type GitLabFactInput<T> = Omit<GitLabFact<T>, "id">;

/** The facts object {@link defineGitLabFacts} returns: each entry typed by its value. */
export type GitLabFacts<F extends Record<string, GitLabFactInput<unknown>>> = {
  readonly [K in keyof F]: GitLabFact<F[K]["value"]>;
};

/**
 * Names each fact `<prefix>.<key>` and freezes the set. `pinnedBy` names the
 * test file; the test that pins the fact carries the fact id as its title.
 */
export function defineGitLabFacts<const F extends Record<string, GitLabFactInput<unknown>>>(prefix: string, facts: F): GitLabFacts<F> {
  const out: Record<string, GitLabFact> = {};
  for (const [key, fact] of Object.entries(facts)) out[key] = Object.freeze({ id: `${prefix}.${key}`, ...fact });
  return Object.freeze(out) as GitLabFacts<F>;
}

/** The facts of a facts object, in the order written. */
export function factList(facts: Readonly<Record<string, GitLabFact>>): readonly GitLabFact[] {
  return Object.values(facts);
}

/** "`lib/api/npm_project_packages.rb` put ':package_name' (GitLab 18.7, abc1234)": a source in one line. */
export function citeSource(source: GitLabSource): string {
  return `${source.file} ${source.at} (${source.version})`;
}
