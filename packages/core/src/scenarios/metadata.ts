import * as fc from "fast-check";
import type { Scenario } from "../contract.js";
import { ConformanceFailure } from "../errors.js";
import type { Artifact } from "../contract.js";
import { lastExchanges, listed, mustHoldFiles, property, publishNew, sleep } from "./helpers.js";

export const metadataVersions: Scenario = {
  id: "metadata.versions",
  title: "List all versions of a package",
  checklist: 5,
  description:
    "Property: after publishing a generated set of distinct versions of a fresh package, the metadata endpoint lists exactly that set (compared in the format's own version order, so normalized spellings count as equal), and every file each version was published with (a wheel and its sdist, a jar and its pom) is listed once with the hash it was uploaded with and downloads with the same bytes.",
  audience: "write",
  requires: ["listVersions"],
  async run(ctx) {
    let n = 0;
    const same = (a: string, b: string): boolean => ctx.kit.compareVersions(a, b) === 0;
    await property(ctx, fc.uniqueArray(ctx.kit.arbitraries.version(), { minLength: 1, maxLength: 4, comparator: same }), async (versions) => {
      const name = ctx.name(`versions${n++}`);
      const artifacts: Artifact[] = [];
      for (const version of versions) artifacts.push(await publishNew(ctx, ctx.client, { name, version }, `publishing ${name}@${version}`));
      const got = await ctx.client.versions(name);
      const missing = versions.filter((v) => listed(ctx, got, v) === 0);
      const extra = got.filter((v) => !versions.some((p) => same(p, v)));
      if (missing.length > 0 || extra.length > 0 || got.length !== versions.length) {
        throw new ConformanceFailure(
          `the versions listed for ${name} differ from the versions published`,
          { expected: `[${versions.join(", ")}]`, actual: `[${got.join(", ")}]${missing.length ? ` (missing ${missing.join(", ")})` : ""}${extra.length ? ` (unexpected ${extra.join(", ")})` : ""}` },
          lastExchanges(ctx, 1),
        );
      }
      await mustHoldFiles(ctx, ctx.client, artifacts, "listing the files of every version");
    });
  },
};

export const search: Scenario = {
  id: "search",
  title: "Search finds what was published",
  checklist: 5,
  description:
    "Publishes a package and searches for its name: the search endpoint must return it (retried briefly, for registries that index asynchronously).",
  audience: "write",
  requires: ["search"],
  async run(ctx) {
    if (!ctx.client.search) ctx.skip(`the ${ctx.kit.format} adapter has no search`);
    const name = ctx.name("search");
    await publishNew(ctx, ctx.client, { name, version: "1.0.0", description: `regkit search probe ${ctx.runId}` }, "publishing the package to search for");
    let found: readonly string[] = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      found = await ctx.client.search!(name);
      if (found.some((n) => n.toLowerCase() === name.toLowerCase())) {
        ctx.note(`found after ${attempt + 1} search${attempt ? "es" : ""} (${found.length} results)`);
        return;
      }
      await sleep(400);
    }
    throw new ConformanceFailure(
      `searching for ${name} does not return it`,
      { expected: `${name} among the results`, actual: found.length ? `[${found.slice(0, 10).join(", ")}]` : "no results" },
      lastExchanges(ctx, 1),
    );
  },
};
