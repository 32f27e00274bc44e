import { defineGitLabFacts } from "@regkit/core";

/**
 * GitLab's behaviours this kit relies on, each read from GitLab's source with
 * its file, route or method, and version (test/gitlab-facts.test.ts pins each).
 */
export const helmGitLabFacts = defineGitLabFacts("helm", {});
