import type { ClientDriver } from "@regkit/core";
import type { HelmProfile } from "./profiles.js";

/** Real clients of the format, each run through core's runTool with ctx.secrets. */
export const helmDrivers: readonly ClientDriver<HelmProfile>[] = [];
