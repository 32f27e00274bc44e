import type { KitScenario } from "@regkit/core";
import type { GenericClient } from "./client.js";
import type { GenericProfile } from "./profiles.js";

/** Scenarios only this format has; the catalog lives in core. */
export const genericScenarios: readonly KitScenario<GenericClient, GenericProfile>[] = [];
