import { REPORT_SCHEMA_VERSION, type RunReport } from "../runner.js";
import { type Reporter, fileReporter } from "./types.js";

/** The document `jsonReporter` writes. */
export interface JsonReport {
  readonly schemaVersion: typeof REPORT_SCHEMA_VERSION;
  readonly reports: readonly RunReport[];
}

/** JSON Schema (draft 2020-12) of {@link JsonReport}: what outside tools may rely on. */
export const reportJsonSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "https://regkit.dev/schema/report-v4.json",
  title: "regkit report",
  type: "object",
  required: ["schemaVersion", "reports"],
  properties: {
    schemaVersion: { const: REPORT_SCHEMA_VERSION },
    reports: {
      type: "array",
      items: {
        type: "object",
        required: ["schemaVersion", "tool", "runId", "format", "registry", "profile", "settings", "seed", "startedAt", "durationMs", "results", "summary", "cleanup"],
        properties: {
          schemaVersion: { const: REPORT_SCHEMA_VERSION },
          tool: { type: "object", required: ["name", "version"], properties: { name: { const: "regkit" }, version: { type: "string" } } },
          runId: { type: "string" },
          format: { type: "string" },
          registry: { type: "string" },
          profile: { type: "string" },
          settings: { type: "object", additionalProperties: { type: ["boolean", "number", "string", "array"] } },
          seed: { type: "integer" },
          startedAt: { type: "string", format: "date-time" },
          durationMs: { type: "number" },
          interrupted: { const: true, description: "present when the run was interrupted: results incomplete, cleanup still ran" },
          label: { type: "string", description: "a short name of the registry for the compatibility matrix (reference, verdaccio, nginx); added within schema version 4, absent: the matrix names the registry by its URL's host" },
          preflight: {
            type: "object",
            description:
              "the setup problems found before the scenarios (and a credential refused at its first publish), each once with its fix; with any, the scenarios they concern are skip \"not run: setup error: see preflight\" and the CLI exits 2. Added within schema version 4: absent from reports of earlier runs",
            required: ["problems"],
            properties: {
              problems: {
                type: "array",
                items: {
                  type: "object",
                  required: ["check", "message", "fix"],
                  properties: {
                    check: { type: "string", description: "registry, endpoint, project, credentials, credential:<kind> (refused for reading) or write:<kind> (refused for writing)" },
                    message: { type: "string", description: "what was seen, with the request and the registry's answer (redacted)" },
                    fix: { type: "string", description: "what to change" },
                  },
                },
              },
            },
          },
          summary: {
            type: "object",
            required: ["pass", "fail", "skip", "error", "deviation", "disabled", "deviationsGone"],
            properties: {
              pass: { type: "integer" },
              fail: { type: "integer" },
              skip: { type: "integer" },
              error: { type: "integer" },
              deviation: { type: "integer" },
              disabled: { type: "integer" },
              deviationsGone: { type: "integer" },
            },
          },
          cleanup: {
            type: "object",
            required: ["removed", "left", "errors"],
            properties: { removed: { type: "integer" }, left: { type: "array", items: { type: "string" } }, errors: { type: "array", items: { type: "string" } } },
          },
          results: {
            type: "array",
            items: {
              type: "object",
              required: ["format", "scenario", "title", "tokenKind", "status", "exchanges", "durationMs", "notes", "latency", "throughput"],
              properties: {
                format: { type: "string" },
                scenario: { type: "string" },
                title: { type: "string" },
                tokenKind: { enum: ["personal", "deploy", "job", "readonly", "anonymous", "invalid"] },
                status: { enum: ["pass", "fail", "skip", "error", "deviation", "disabled"] },
                message: { type: "string" },
                expectation: { type: "object", required: ["expected", "actual"], properties: { expected: { type: "string" }, actual: { type: "string" } } },
                exchanges: {
                  type: "array",
                  items: {
                    type: "object",
                    required: ["method", "url", "path", "status", "durationMs", "requestHeaders", "responseHeaders", "via"],
                    properties: {
                      method: { type: "string" },
                      url: { type: "string" },
                      path: { type: "string" },
                      status: { type: "integer" },
                      durationMs: { type: "number" },
                      requestHeaders: { type: "object", additionalProperties: { type: "string" } },
                      responseHeaders: { type: "object", additionalProperties: { type: "string" } },
                      responseSnippet: { type: "string" },
                      via: { type: "string" },
                    },
                  },
                },
                durationMs: { type: "number" },
                notes: { type: "array", items: { type: "string" } },
                latency: {
                  type: "array",
                  items: {
                    type: "object",
                    required: ["label", "points", "budgetMs", "firstTenthMedianMs", "lastTenthMedianMs", "maxMs"],
                    properties: {
                      label: { type: "string" },
                      points: { type: "array", items: { type: "array", prefixItems: [{ type: "integer" }, { type: "number" }], minItems: 2, maxItems: 2 } },
                      budgetMs: { type: "number" },
                      firstTenthMedianMs: { type: "number" },
                      lastTenthMedianMs: { type: "number" },
                      maxMs: { type: "number" },
                    },
                  },
                },
                throughput: { type: "object", additionalProperties: { type: "number" } },
                replay: { type: "object", required: ["seed"], properties: { seed: { type: "integer" }, path: { type: "string" } } },
                clients: {
                  type: "array",
                  description: "the real clients that took part in the result or were skipped (not installed: skip with the reason, never pass), with their versions; added within schema version 4",
                  items: {
                    type: "object",
                    required: ["name", "status"],
                    properties: {
                      name: { type: "string" },
                      version: { type: "string" },
                      status: { enum: ["pass", "fail", "deviation", "skip"] },
                      reason: { type: "string" },
                    },
                  },
                },
                deviations: {
                  type: "array",
                  items: {
                    type: "object",
                    required: ["id", "summary", "source", "observed"],
                    properties: {
                      id: { type: "string" },
                      summary: { type: "string" },
                      source: { type: "string" },
                      observed: { type: "boolean" },
                      expectation: { type: "object", required: ["expected", "actual"], properties: { expected: { type: "string" }, actual: { type: "string" } } },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

/** Writes `{ schemaVersion, reports }` to `file` ({@link REPORT_SCHEMA_VERSION}). */
export function jsonReporter(file: string): Reporter {
  return fileReporter("json", file, (reports) => `${JSON.stringify({ schemaVersion: REPORT_SCHEMA_VERSION, reports } satisfies JsonReport, null, 2)}\n`);
}
