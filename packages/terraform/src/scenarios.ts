import type { KitScenario } from "@regkit/core";
import type { TerraformClient } from "./client.js";
import type { TerraformProfile } from "./profiles.js";

/** Scenarios only this format has; the catalog lives in core. */
export const terraformScenarios: readonly KitScenario<TerraformClient, TerraformProfile>[] = [];
