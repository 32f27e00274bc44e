export type { ReferenceTokens, ReferenceTokensOption } from "./auth.js";
export type { ReferenceProject, ReferenceRegistry, ReferenceRegistryOptions } from "./registry.js";
export { createReferenceRegistry } from "./registry.js";
export { referenceTarget } from "./target.js";
