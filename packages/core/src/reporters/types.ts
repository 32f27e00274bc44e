import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { ScenarioResult } from "../contract.js";
import type { RunReport } from "../runner.js";

/** Receives results as they come and the finished reports at the end. */
export interface Reporter {
  readonly name: string;
  onResult?(result: ScenarioResult): void;
  finish(reports: readonly RunReport[]): Promise<void>;
}

/** A reporter that writes one file at the end, rendered from every report. */
export function fileReporter(name: string, file: string, render: (reports: readonly RunReport[]) => string): Reporter {
  return {
    name,
    async finish(reports) {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, render(reports));
    },
  };
}
