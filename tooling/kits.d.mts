/** A kit found in the workspace (tooling/kits.mjs). */
export interface DiscoveredKit {
  readonly dir: string;
  readonly name: string;
  readonly format: string;
  readonly kit: string;
  readonly reference?: string | undefined;
  readonly system: readonly string[];
  readonly order: number;
}
export function discoverKits(dir?: string): DiscoveredKit[];
export function renderKits(kits: readonly DiscoveredKit[]): string;
export function cliPackageWith(kits: readonly DiscoveredKit[], text?: string): string;
export function kitsDrift(kits?: readonly DiscoveredKit[]): string[];
