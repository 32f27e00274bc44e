/**
 * @regkit/testkit: what a kit author's tests need. The fault harness (the
 * reference registry behind a fault-injecting proxy), the faults themselves,
 * `describeConformance` with `exclude`, and the example kit, the smallest
 * working kit (client side here, reference routes at
 * `@regkit/testkit/example/reference`).
 *
 * @module
 */
export { HARNESS_OPTIONS, HARNESS_SEED, resultOf, startFaultHarness } from "./harness.js";
export type { FaultHarness, HarnessRun } from "./harness.js";
export { useFaultHarness } from "./vitest.js";
export { startBlackHole } from "./black-hole.js";
export type { BlackHole } from "./black-hole.js";
export { expectNoRepeats, timed, timedFailure, useBlackHole } from "./bounds.js";
export type { BlackHoleBench, BoundsContextOptions } from "./bounds.js";
export { referenceCaller } from "./reference-call.js";
export { expectNoSecrets } from "./secrets.js";
export type { ReferenceAnswer, ReferenceCallInit } from "./reference-call.js";
export * from "@regkit/registry/faults";
export { describeConformance, formatFailure, pinFacts } from "@regkit/core/vitest";
export type { DescribeConformanceOptions } from "@regkit/core/vitest";
export { exampleKit } from "./example/kit.js";
export { exampleReference } from "./example/reference.js";
