import type { FormatKit } from "@regkit/core";
import { mavenKit } from "@regkit/maven";
import { npmKit } from "@regkit/npm";
import { nugetKit } from "@regkit/nuget";
import { pypiKit } from "@regkit/pypi";

/**
 * Every format kit the CLI, the demo and the reference registry know.
 * Adding a format: add its package as a dependency and one line here.
 */
export const kits: readonly FormatKit[] = [
  npmKit,
  mavenKit,
  pypiKit,
  nugetKit,
];

/** The kit for `format`, or undefined. */
export function findKit(format: string): FormatKit | undefined {
  return kits.find((kit) => kit.format === format);
}
