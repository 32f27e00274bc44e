import type { Artifact, ClientDriver, DriverContext, Exchange, Scenario, ScenarioResult } from "../contract.js";
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

export const clientsRoundtrip: Scenario = {
  id: "clients.roundtrip",
  title: "Real clients publish and install",
  checklist: 4,
  description:
    "Each real client tool of the format (npm CLI, twine and pip, mvn, NuGet.exe) takes its part in a round trip through a recording proxy: every client that publishes (twine) publishes its own package, and every client that installs (pip) installs each of them; the bytes it gets must equal the bytes published. Where no client publishes, the adapter publishes for the installers; where none installs, the adapter downloads what the clients published. A client missing from the machine is reported as that client skipped (in every reporter); with none available the scenario is skipped.",
  audience: "write",
  timeoutMs: 600_000,
  async run(ctx) {
    if (ctx.kit.drivers.length === 0) ctx.skip(`the ${ctx.kit.format} kit has no real client driver`);
    const missing: string[] = [];
    const ready: ClientDriver[] = [];
    for (const driver of ctx.kit.drivers) {
      const why = await driver.unavailable();
      if (why) {
        missing.push(`${driver.name}: ${why}`);
        ctx.note(clientSkipNote(driver.name, why));
      } else if (driver.publish || driver.install) {
        ready.push(driver);
      }
    }
    if (ready.length === 0) ctx.skip(`no real client available (${missing.join("; ") || "no driver publishes or installs"})`);

    // One recording proxy and work directory per client, shared by its publish and its install.
    const contexts = new Map<ClientDriver, DriverContext>();
    const contextOf = async (driver: ClientDriver): Promise<DriverContext> => {
      const known = contexts.get(driver);
      if (known) return known;
      const made = await ctx.driverContext(driver);
      contexts.set(driver, made);
      return made;
    };
    const evidenceOf = (driver: ClientDriver): Exchange[] => ctx.exchanges().filter((e) => e.via === driver.name).slice(-4);

    const published: { readonly artifact: Artifact; readonly by: string }[] = [];
    for (const driver of ready) {
      if (!driver.publish) continue;
      const artifact = await ctx.build({ name: ctx.name(`client-${driver.name}`), version: "1.0.0", description: `published by ${driver.name}` });
      ctx.track(artifact.name, artifact.version);
      const outcome = await driver.publish(artifact, await contextOf(driver));
      if (!outcome.accepted) {
        throw new ConformanceFailure(
          `${driver.name} could not publish ${artifact.name}@${artifact.version}`,
          { expected: `${driver.name} publish succeeds`, actual: outcome.output.slice(-600) },
          evidenceOf(driver),
        );
      }
      published.push({ artifact, by: driver.name });
    }
    if (published.length === 0) {
      const artifact = await ctx.build({ name: ctx.name("client-adapter"), version: "1.0.0", description: "published for the real clients to install" });
      ctx.track(artifact.name, artifact.version);
      mustAccept(await ctx.client.publish(artifact), "publishing for the real clients to install");
      published.push({ artifact, by: "the adapter" });
    }

    const installs = ready.some((driver) => driver.install);
    for (const { artifact, by } of published) {
      if (!installs) {
        // No client installs here: the protocol checks that what the client published is served back intact.
        mustMatch(artifact, await ctx.client.download(artifact.name, artifact.version), `pulling back what ${by} published`);
        ctx.note(`${by} published ${artifact.name}@${artifact.version}; the adapter pulled it back byte for byte`);
        continue;
      }
      for (const driver of ready) {
        if (!driver.install) continue;
        const installed = await driver.install(artifact.name, artifact.version, await contextOf(driver));
        if (installed.digests.sha512 !== artifact.content.digests.sha512) {
          throw new ConformanceFailure(
            `${driver.name} got other bytes for ${artifact.name}@${artifact.version} (published by ${by})`,
            { expected: `sha512 ${artifact.content.digests.sha512}`, actual: `sha512 ${installed.digests.sha512}` },
            evidenceOf(driver),
          );
        }
        ctx.note(by === driver.name ? `${driver.name}: published and installed byte for byte` : `${by} published ${artifact.name}@${artifact.version}; ${driver.name} installed it byte for byte`);
      }
    }
  },
};
