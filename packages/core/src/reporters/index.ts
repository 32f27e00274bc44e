import { consoleReporter } from "./console.js";
import { jsonReporter } from "./json.js";
import { junitReporter } from "./junit.js";
import { badgeReporter, htmlReporter } from "./html.js";
import { markdownReporter } from "./markdown.js";
import type { Reporter } from "./types.js";

/** Reporter factories by name, for `--reporter name=FILE`; other packages may add theirs. */
export const reporterFactories = new Map<string, (file: string, options: { secrets?: readonly string[] }) => Reporter>([
  ["json", jsonReporter],
  ["junit", junitReporter],
  ["markdown", markdownReporter],
  ["html", (file, options) => htmlReporter(file, options)],
  ["badge", badgeReporter],
]);

/** `console`, `json=FILE`, `junit=FILE`, or any registered `name=FILE`. */
export function parseReporterSpec(spec: string, options: { stream?: NodeJS.WritableStream; secrets?: readonly string[] } = {}): Reporter {
  if (spec === "console") return consoleReporter(options);
  const eq = spec.indexOf("=");
  const name = eq < 0 ? spec : spec.slice(0, eq);
  const file = eq < 0 ? "" : spec.slice(eq + 1);
  const factory = reporterFactories.get(name);
  if (!factory) throw new Error(`unknown reporter "${name}" (known: console, ${[...reporterFactories.keys()].map((k) => `${k}=FILE`).join(", ")})`);
  if (!file) throw new Error(`reporter ${name} needs a file: --reporter ${name}=FILE`);
  return factory(file, options);
}
