export { credentialsFromEnv, main, size } from "./cli.js";
export type { CliIo } from "./cli.js";
export { findKit, kits, referenceFormats } from "./kits.js";
