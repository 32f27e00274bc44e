import type { ClientDriver } from "@regkit/core";
import type { TerraformProfile } from "./profiles.js";

/** Real clients of the format, each run through core's runTool with ctx.secrets. */
export const terraformDrivers: readonly ClientDriver<TerraformProfile>[] = [];
