export type * from "./contract.js";
export { ALL_TOKEN_KINDS, DEFAULT_OPTIONS, NEGATIVE_TOKEN_KINDS, WRITE_TOKEN_KINDS, defineKit, defineProfile } from "./contract.js";
export type * from "./reference.js";
export { ReferenceError413, ReferenceHttpError } from "./reference.js";
export { ConfigError, ConformanceFailure, ProtocolError, ScenarioSkip, describeExchange, expectThat } from "./errors.js";
