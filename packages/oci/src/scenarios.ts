import type { KitScenario } from "@regkit/core";
import type { OciClient } from "./client.js";
import type { OciProfile } from "./profiles.js";

/** Scenarios only this format has; the catalog lives in core. */
export const ociScenarios: readonly KitScenario<OciClient, OciProfile>[] = [];
