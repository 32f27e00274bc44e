import type { KitScenario } from "@regkit/core";
import type { ConanClient } from "./client.js";
import type { ConanProfile } from "./profiles.js";

/** Scenarios only this format has; the catalog lives in core. */
export const conanScenarios: readonly KitScenario<ConanClient, ConanProfile>[] = [];
