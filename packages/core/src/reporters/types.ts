import type { ScenarioResult } from "../contract.js";
import type { RunReport } from "../runner.js";

/** Receives results as they come and the finished reports at the end. */
export interface Reporter {
  readonly name: string;
  onResult?(result: ScenarioResult): void;
  finish(reports: readonly RunReport[]): Promise<void>;
}
