import type { Exchange, FormatKit, RouteTemplate, Scenario } from "../contract.js";
import { ConformanceFailure } from "../errors.js";
import { clientRoundtrip } from "./clients.js";
import { mustMatch, publishNew } from "./helpers.js";

/** The template a request matches (`:p` one segment, `*p` the rest), ignoring the query. */
export function matchRoute(templates: readonly RouteTemplate[], method: string, path: string): RouteTemplate | undefined {
  const clean = path.split("?")[0]!.split("#")[0]!;
  const segments = clean.split("/").filter(Boolean);
  return templates.find((t) => {
    if (t.method.toUpperCase() !== method.toUpperCase()) return false;
    const parts = t.path.split("/").filter(Boolean);
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (part.startsWith("*")) return segments.length > i;
      const segment = segments[i];
      if (segment === undefined) return false;
      if (part.startsWith(":")) continue;
      if (part !== segment) return false;
    }
    return parts.length === segments.length;
  });
}

/**
 * The standard route table of a run: the kit's routes, then those the
 * registry announced in the run's exchanges (`FormatKit.announcedRoutes`).
 */
export function standardRoutes(kit: Pick<FormatKit, "routes" | "announcedRoutes">, exchanges: readonly Exchange[]): readonly RouteTemplate[] {
  const announced = kit.announcedRoutes?.(exchanges) ?? [];
  return announced.length ? [...kit.routes, ...announced] : kit.routes;
}

export const endpointsAudit: Scenario = {
  id: "endpoints.audit",
  title: "Spot non-standard endpoints the clients need",
  checklist: 6,
  description:
    "Exercises the adapter and every available real client (through a recording proxy: the round trip of clients.roundtrip, run once per token kind for both), then checks every request against the format's standard route table. A request outside it fails the scenario, unless the profile declares it as a known extension (then it is listed as a note): this is how a registry-only endpoint a client needed shows up.",
  audience: "write",
  // It may be the one that runs the clients' round trip.
  timeoutMs: 600_000,
  async run(ctx) {
    const name = ctx.name("audit");
    const artifact = await publishNew(ctx, ctx.client, { name, version: "1.0.0", description: "regkit endpoints.audit" }, "publishing");
    await ctx.client.versions(name);
    await ctx.client.metadata(name);
    mustMatch(artifact, await ctx.client.download(name, "1.0.0"), "pulling");
    if (ctx.client.latest) await ctx.client.latest(name);
    if (ctx.client.search && ctx.target.capabilities.search) await ctx.client.search(name);

    // The real clients' requests: the round trip clients.roundtrip judges, run
    // once per token kind by whichever of the two scenarios comes first.
    const roundtrip = await clientRoundtrip(ctx);
    for (const { client, reason } of roundtrip.missing) ctx.note(`${client} not exercised: ${reason}`);
    for (const step of roundtrip.steps) {
      if (step.kind === "publish" && !step.accepted) ctx.note(`${step.client} publish was refused: ${step.output.slice(-300)}`);
      if (step.kind === "install" && "error" in step.outcome) ctx.note(`${step.client} install: ${(step.outcome.error as Error).message}`);
    }
    // This scenario's own requests, and the clients' where another scenario ran them.
    const exchanges = [...new Set([...ctx.exchanges(), ...roundtrip.exchanges])];
    const standard = standardRoutes(ctx.kit, exchanges);
    const extras = ctx.target.profile.extraRoutes ?? [];
    const unknown: Exchange[] = [];
    const seen = new Map<string, number>();
    for (const e of exchanges) {
      const route = matchRoute(standard, e.method, e.path);
      if (route) {
        const key = `${route.method} ${route.path}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        continue;
      }
      const extra = matchRoute(extras, e.method, e.path);
      if (extra) {
        ctx.note(`non-standard endpoint declared by the ${ctx.target.profile.name} profile: ${e.method} ${e.path} (${e.status}, via ${e.via}): ${extra.summary}`);
        continue;
      }
      unknown.push(e);
    }
    for (const [route, count] of seen) ctx.note(`standard ${route}: ${count} request${count > 1 ? "s" : ""}`);
    if (unknown.length > 0) {
      const list = [...new Set(unknown.map((e) => `${e.method} ${e.path.split("?")[0]} (${e.status}, via ${e.via})`))];
      throw new ConformanceFailure(
        `${list.length} request${list.length > 1 ? "s" : ""} outside the ${ctx.kit.format} standard route table: ${list.slice(0, 8).join("; ")}`,
        { expected: "every request on a standard route (or one the profile declares)", actual: list.join("; ") },
        unknown.slice(0, 10),
      );
    }
  },
};
