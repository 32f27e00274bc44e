import type { Target } from "@regkit/core";
import type { ReferenceRegistry } from "./registry.js";

/**
 * A target for one format of a running reference registry, with every
 * credential it issued (personal, deploy, job, read-only deploy) and its
 * current limit for the format; `overrides` are merged on top.
 */
export function referenceTarget(registry: ReferenceRegistry, segment: string, overrides: Partial<Target> = {}): Target {
  const { tokens } = registry;
  const url = registry.registries[segment];
  if (!url) throw new Error(`the reference registry serves no "${segment}" format (serving: ${Object.keys(registry.registries).join(", ")})`);
  return {
    registry: url,
    profile: "gitlab",
    credentials: {
      personal: tokens.personal,
      personalUsername: tokens.personalUsername,
      deploy: { username: tokens.deployUsername, token: tokens.deploy },
      job: tokens.job,
      readonly: { username: tokens.readonlyDeployUsername, token: tokens.readonlyDeploy },
    },
    limits: { maxFileSize: registry.settings(segment).limits.maxFileSize },
    ...overrides,
  };
}
