import type { Artifact, ClientDriver, DriverContext, Exchange, Scenario, ScenarioContext, ScenarioResult } from "../contract.js";
import { ConformanceFailure } from "../errors.js";
import { mustAccept, mustMatch } from "./helpers.js";

// A client that is not on the machine is a skip of that client, not of the
// whole scenario: the scenario still passes or fails on the clients that ran,
// and this note, which every reporter recognises, says which one did not.
const SKIPPED = "client skipped: ";

/** The note a scenario leaves for a real client it could not run ("client skipped: twine: twine not found on PATH"). */
export function clientSkipNote(client: string, reason: string): string {
  return `${SKIPPED}${client}: ${reason}`;
}

/** A real client a result did not run, and why. */
export interface SkippedClient {
  readonly client: string;
  readonly reason: string;
}

/** The real clients a result did not run (from its notes), in the order they were noted. */
export function skippedClients(result: Pick<ScenarioResult, "notes">): readonly SkippedClient[] {
  return result.notes.flatMap((note) => {
    if (!note.startsWith(SKIPPED)) return [];
    const rest = note.slice(SKIPPED.length);
    const colon = rest.indexOf(": ");
    return colon > 0 ? [{ client: rest.slice(0, colon), reason: rest.slice(colon + 2) }] : [];
  });
}

/** What a real client's install got (what {@link ClientDriver.install} resolves to). */
type Installed = Awaited<ReturnType<NonNullable<ClientDriver["install"]>>>;

/** One thing a real client did in the round trip, and how it went. */
export type ClientStep =
  | {
      readonly kind: "publish";
      readonly client: string;
      readonly artifact: Artifact;
      readonly accepted: boolean;
      readonly output: string;
      /** The client's last requests when it was done. */
      readonly evidence: readonly Exchange[];
    }
  | {
      readonly kind: "install";
      readonly client: string;
      readonly artifact: Artifact;
      /** Who published what it installed: a client's name or "the adapter". */
      readonly by: string;
      readonly outcome: { readonly installed: Installed } | { readonly error: unknown };
      readonly evidence: readonly Exchange[];
    };

/**
 * What the real clients did under one token kind: every client that publishes
 * published its own package, and every client that installs installed this
 * kind's share of them (each of them once per run, the pairs spread over the
 * write kinds), or the adapter's package where none publishes. Done once per kind and run
 * ({@link ScenarioContext.shared}): clients.roundtrip judges the steps,
 * endpoints.audit audits the requests.
 */
export interface ClientRoundtrip {
  /** Why no real client could take part; undefined when some did. */
  readonly unavailable: string | undefined;
  /** The clients not on the machine, and why. */
  readonly missing: readonly SkippedClient[];
  /** What was published for the installers, and by whom. */
  readonly published: readonly { readonly artifact: Artifact; readonly by: string }[];
  readonly steps: readonly ClientStep[];
  /** Whether any client that took part installs (else the adapter pulls back what they published). */
  readonly installs: boolean;
  /** Every request the clients made, through their recording proxies. */
  readonly exchanges: readonly Exchange[];
}

/** The real clients' round trip under the scenario's token kind, run by the first scenario that asks for it. */
export function clientRoundtrip(ctx: ScenarioContext): Promise<ClientRoundtrip> {
  return ctx.shared("clients.roundtrip", () => runClientRoundtrip(ctx));
}

async function runClientRoundtrip(ctx: ScenarioContext): Promise<ClientRoundtrip> {
  const nothing = { published: [], steps: [], installs: false, exchanges: [] };
  if (ctx.kit.drivers.length === 0) return { ...nothing, unavailable: `the ${ctx.kit.format} kit has no real client driver`, missing: [] };
  const missing: SkippedClient[] = [];
  const ready: ClientDriver[] = [];
  for (const driver of ctx.kit.drivers) {
    const why = await driver.unavailable();
    if (why) missing.push({ client: driver.name, reason: why });
    else if (driver.publish || driver.install) ready.push(driver);
  }
  if (ready.length === 0) {
    const why = missing.map((m) => `${m.client}: ${m.reason}`).join("; ") || "no driver publishes or installs";
    return { ...nothing, unavailable: `no real client available (${why})`, missing };
  }

  // One recording proxy and work directory per client, shared by its publish and its installs.
  const contexts = new Map<ClientDriver, DriverContext>();
  const contextOf = async (driver: ClientDriver): Promise<DriverContext> => {
    const known = contexts.get(driver);
    if (known) return known;
    const made = await ctx.driverContext(driver);
    contexts.set(driver, made);
    return made;
  };
  const evidenceOf = (driver: ClientDriver): Exchange[] => ctx.exchanges().filter((e) => e.via === driver.name).slice(-4);

  const steps: ClientStep[] = [];
  const published: { readonly artifact: Artifact; readonly by: string }[] = [];
  for (const driver of ready) {
    if (!driver.publish) continue;
    const artifact = await ctx.build({ name: ctx.name(`client-${driver.name}`), version: "1.0.0", description: `published by ${driver.name}` });
    ctx.track(artifact.name, artifact.version);
    const outcome = await driver.publish(artifact, await contextOf(driver));
    steps.push({ kind: "publish", client: driver.name, artifact, accepted: outcome.accepted, output: outcome.output, evidence: evidenceOf(driver) });
    if (outcome.accepted) published.push({ artifact, by: driver.name });
  }
  if (!ready.some((driver) => driver.publish)) {
    const artifact = await ctx.build({ name: ctx.name("client-adapter"), version: "1.0.0", description: "published for the real clients to install" });
    ctx.track(artifact.name, artifact.version);
    mustAccept(await ctx.client.publish(artifact), "publishing for the real clients to install");
    published.push({ artifact, by: "the adapter" });
  }

  // Every installer installs what every publisher published once per run, the
  // pairs spread over the run's write kinds: an installer's publishers, its own
  // first (else the one at its place in turn), go to the kinds in turn, so each
  // installer installs under every kind and meets every publisher once. With
  // fewer publishers than kinds, a later kind repeats a pair. Which publisher's
  // bytes an installer accepts does not depend on the token; a run with one
  // write kind crosses them all under it.
  const installers = ready.filter((driver) => driver.install);
  const kindCount = ctx.writeKinds.length;
  const kindAt = ctx.writeKinds.indexOf(ctx.credential.kind);
  const pairs = (driver: ClientDriver, index: number): boolean => {
    if (kindCount <= 1 || kindAt < 0) return true;
    const own = published.findIndex((p) => p.by === driver.name);
    const first = own >= 0 ? own : installers.indexOf(driver) % published.length;
    // The publisher's place in this installer's order: 0 for the first.
    const place = (index - first + published.length) % published.length;
    return place % kindCount === kindAt || (kindAt >= published.length && place === kindAt % published.length);
  };
  const installs = installers.length > 0;
  for (const [index, { artifact, by }] of published.entries()) {
    for (const driver of installers) {
      const install = driver.install?.bind(driver);
      if (!install || !pairs(driver, index)) continue;
      let outcome: { readonly installed: Installed } | { readonly error: unknown };
      try {
        outcome = { installed: await install(artifact.name, artifact.version, await contextOf(driver)) };
      } catch (error) {
        // The run is being stopped: nothing more to try.
        if (ctx.signal.aborted) throw error;
        outcome = { error };
      }
      steps.push({ kind: "install", client: driver.name, artifact, by, outcome, evidence: evidenceOf(driver) });
    }
  }
  const names = new Set(ready.map((driver) => driver.name));
  return { unavailable: undefined, missing, published, steps, installs, exchanges: ctx.exchanges().filter((e) => names.has(e.via)) };
}

export const clientsRoundtrip: Scenario = {
  id: "clients.roundtrip",
  title: "Real clients publish and install",
  checklist: 4,
  description:
    "Each real client tool of the format (npm CLI, twine and pip, mvn, NuGet.exe) takes its part in a round trip through a recording proxy: every client that publishes (twine) publishes its own package, and every client that installs (pip) installs each of them once per run, the pairs spread over the run's write token kinds (its own package first, then the others in turn, a share under each kind), so every client runs under every kind and every installer meets every publisher; the bytes it gets must equal the bytes published. Where no client publishes, the adapter publishes for the installers; where none installs, the adapter downloads what the clients published. A client missing from the machine is reported as that client skipped (in every reporter); with none available the scenario is skipped. The round trip runs once per token kind: endpoints.audit audits the same requests.",
  audience: "write",
  timeoutMs: 600_000,
  async run(ctx) {
    const roundtrip = await clientRoundtrip(ctx);
    for (const { client, reason } of roundtrip.missing) ctx.note(clientSkipNote(client, reason));
    if (roundtrip.unavailable) ctx.skip(roundtrip.unavailable);

    for (const step of roundtrip.steps) {
      const { artifact } = step;
      if (step.kind === "publish") {
        if (!step.accepted) {
          throw new ConformanceFailure(
            `${step.client} could not publish ${artifact.name}@${artifact.version}`,
            { expected: `${step.client} publish succeeds`, actual: step.output.slice(-600) },
            step.evidence,
          );
        }
        continue;
      }
      if ("error" in step.outcome) throw step.outcome.error;
      const { installed } = step.outcome;
      if (installed.digests.sha512 !== artifact.content.digests.sha512) {
        throw new ConformanceFailure(
          `${step.client} got other bytes for ${artifact.name}@${artifact.version} (published by ${step.by})`,
          { expected: `sha512 ${artifact.content.digests.sha512}`, actual: `sha512 ${installed.digests.sha512}` },
          step.evidence,
        );
      }
      ctx.note(step.by === step.client ? `${step.client}: published and installed byte for byte` : `${step.by} published ${artifact.name}@${artifact.version}; ${step.client} installed it byte for byte`);
    }
    if (roundtrip.installs) return;
    // No client installs here: the protocol checks that what the clients published is served back intact.
    for (const { artifact, by } of roundtrip.published) {
      mustMatch(artifact, await ctx.client.download(artifact.name, artifact.version), `pulling back what ${by} published`);
      ctx.note(`${by} published ${artifact.name}@${artifact.version}; the adapter pulled it back byte for byte`);
    }
  },
};
