import type { FormatKit } from "@regkit/core";
import { kits } from "./kits.generated.js";

export { kits, referenceFormats } from "./kits.generated.js";

/** The kit for `format`, or undefined. */
export function findKit(format: string): FormatKit | undefined {
  return kits.find((kit) => kit.format === format);
}
