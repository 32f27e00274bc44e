import type { KitScenario } from "@regkit/core";
import type { HelmClient } from "./client.js";
import type { HelmProfile } from "./profiles.js";

/** Scenarios only this format has; the catalog lives in core. */
export const helmScenarios: readonly KitScenario<HelmClient, HelmProfile>[] = [];
