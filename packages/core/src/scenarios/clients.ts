import type { Scenario } from "../contract.js";
import { ConformanceFailure } from "../errors.js";
import { mustAccept } from "./helpers.js";

export const clientsRoundtrip: Scenario = {
  id: "clients.roundtrip",
  title: "Real clients publish and install",
  checklist: 4,
  description:
    "Each real client tool of the format (npm CLI, twine and pip, mvn, NuGet.exe) publishes a package and installs or downloads it back through a recording proxy; the bytes it gets must equal the bytes published. Tools missing from the machine are listed in the notes; with none available the scenario is skipped.",
  audience: "write",
  timeoutMs: 600_000,
  async run(ctx) {
    const reasons: string[] = [];
    let exercised = 0;
    for (const driver of ctx.kit.drivers) {
      const why = await driver.unavailable();
      if (why) {
        reasons.push(`${driver.name}: ${why}`);
        ctx.note(`${driver.name} unavailable: ${why}`);
        continue;
      }
      if (!driver.install) continue;
      exercised++;
      const dctx = await ctx.driverContext(driver);
      const artifact = await ctx.build({ name: ctx.name(`client-${driver.name}`), version: "1.0.0", description: `published by ${driver.name}` });
      ctx.track(artifact.name, artifact.version);
      if (driver.publish) {
        const published = await driver.publish(artifact, dctx);
        if (!published.accepted) {
          throw new ConformanceFailure(
            `${driver.name} could not publish ${artifact.name}@${artifact.version}`,
            { expected: `${driver.name} publish succeeds`, actual: published.output.slice(-600) },
            ctx.exchanges().filter((e) => e.via === driver.name).slice(-4),
          );
        }
      } else {
        mustAccept(await ctx.client.publish(artifact), "publishing for the client to install");
      }
      const installed = await driver.install(artifact.name, artifact.version, dctx);
      if (installed.digests.sha512 !== artifact.content.digests.sha512) {
        throw new ConformanceFailure(
          `${driver.name} got other bytes for ${artifact.name}@${artifact.version}`,
          { expected: `sha512 ${artifact.content.digests.sha512}`, actual: `sha512 ${installed.digests.sha512}` },
          ctx.exchanges().filter((e) => e.via === driver.name).slice(-4),
        );
      }
      ctx.note(`${driver.name}: published and installed byte for byte`);
    }
    if (exercised === 0) ctx.skip(reasons.length ? `no real client available (${reasons.join("; ")})` : `the ${ctx.kit.format} kit has no real client driver`);
  },
};
