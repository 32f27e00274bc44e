/**
 * vitest lifecycles of the testkit: a fault harness opened before a file's
 * tests and closed after them.
 *
 * @module
 */
import { afterAll, beforeAll } from "vitest";
import type { AnyProfile, FormatKit, RegistryClient } from "@regkit/core";
import type { ReferenceFormat } from "@regkit/registry";
import { type FaultHarness, startFaultHarness } from "./harness.js";

/**
 * Opens a {@link FaultHarness} for the file's tests (beforeAll) and closes it
 * (afterAll); call the returned function inside a test to reach it.
 */
export function useFaultHarness<C extends RegistryClient, P extends AnyProfile>(
  kit: FormatKit<C, P>,
  reference: ReferenceFormat,
  options?: Parameters<typeof startFaultHarness>[2],
): () => FaultHarness<C, P> {
  let harness: FaultHarness<C, P> | undefined;
  beforeAll(async () => {
    harness = await startFaultHarness(kit, reference, options);
  });
  afterAll(async () => {
    await harness?.close();
  });
  return () => {
    if (!harness) throw new Error("the fault harness is not open: call the function inside a test");
    return harness;
  };
}
