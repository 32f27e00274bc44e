export type { ReferenceTokens, ReferenceTokensOption } from "./auth.js";
export type { ReferenceProject, ReferenceRegistry, ReferenceRegistryOptions } from "./registry.js";
export { createReferenceRegistry } from "./registry.js";
export { referenceTarget } from "./target.js";
export type * from "./contract.js";
export { ReferenceError413, ReferenceHttpError, refuse } from "./contract.js";
export { DataDirError } from "./datadir.js";
