import * as fc from "fast-check";
import type { Artifact, RegistryClient, Scenario, ScenarioContext } from "../contract.js";
import { ConformanceFailure, ProtocolError, ScenarioSkip } from "../errors.js";
import { filesOf, listed, marker, mustAccept, mustHoldFiles, mustMatch, mustRefuse } from "./helpers.js";

/** What the registry should hold: version -> the artifact whose files (every one of them) it must list and serve. */
type Model = Map<string, Artifact>;
interface Real {
  readonly ctx: ScenarioContext;
  readonly client: RegistryClient;
  readonly name: string;
}

const VERSIONS = ["1.0.0", "1.0.1", "1.1.0", "2.0.0"];

class Publish implements fc.AsyncCommand<Model, Real> {
  constructor(readonly version: string, readonly salt: number) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const artifact = await real.ctx.build({ name: real.name, version: this.version, files: marker(`model ${this.salt}`) });
    real.ctx.track(real.name, this.version);
    const outcome = await real.client.publish(artifact);
    const exists = model.has(this.version);
    if (exists && real.ctx.target.policies.duplicates === "reject") {
      mustRefuse(outcome, `duplicate publish of ${real.name}@${this.version}`, real.ctx.target.policies.duplicateStatus);
      return;
    }
    mustAccept(outcome, `publishing ${real.name}@${this.version}`);
    model.set(this.version, artifact);
  }
  toString(): string {
    return `publish(${this.version}, #${this.salt})`;
  }
}

class Pull implements fc.AsyncCommand<Model, Real> {
  constructor(readonly version: string) {}
  check(model: Readonly<Model>): boolean {
    return model.has(this.version);
  }
  async run(model: Model, real: Real): Promise<void> {
    const artifact = model.get(this.version)!;
    mustMatch(artifact, await real.client.download(real.name, this.version), `pulling ${real.name}@${this.version}`);
    // The other files of the version (an sdist next to the wheel) serve their bytes too.
    if (real.client.downloadFile && filesOf(artifact).length > 1) await mustHoldFiles(real.ctx, real.client, [artifact], `pulling every file of ${real.name}@${this.version}`);
  }
  toString(): string {
    return `pull(${this.version})`;
  }
}

class List implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const versions = await real.client.versions(real.name);
    const expected = [...model.keys()];
    const wrong = expected.some((v) => listed(real.ctx, versions, v) !== 1) || versions.length !== expected.length;
    if (wrong) {
      throw new ConformanceFailure(
        `the versions listed for ${real.name} differ from the model`,
        { expected: `[${expected.join(", ")}]`, actual: `[${versions.join(", ")}]` },
        real.ctx.exchanges().slice(-1),
      );
    }
    await mustHoldFiles(real.ctx, real.client, [...model.values()], `listing the files of ${real.name}`, { download: false });
  }
  toString(): string {
    return "list()";
  }
}

export const modelRandomOps: Scenario = {
  id: "model.random-ops",
  title: "Random operation sequences against a model",
  checklist: 4,
  description:
    "Model-based test (fast-check commands): random sequences of publish, duplicate publish, pull and list on a fresh package, each checked against an in-memory model that applies the registry's duplicate policy and records every file of every version (listed once with its hash, each pulled byte for byte). The failing sequence and the seed are in the report for replay.",
  audience: "write",
  async run(ctx) {
    let n = 0;
    const version = fc.constantFrom(...VERSIONS);
    const commands = fc.commands(
      [
        fc.tuple(version, fc.nat(1_000_000)).map(([v, salt]) => new Publish(v, salt)),
        version.map((v) => new Pull(v)),
        fc.constant(new List()),
      ],
      { maxCommands: ctx.options.maxCommands },
    );
    const details = await fc.check(
      fc.asyncProperty(commands, async (cmds) => {
        const real: Real = { ctx, client: ctx.client, name: ctx.name(`model${n++}`) };
        const model: Model = new Map();
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        // Every sequence ends with the registry's whole listing checked against the model, short sequences too.
        if (model.size > 0) await new List().run(model, real);
      }),
      { seed: ctx.fc.seed, numRuns: ctx.options.numRuns, endOnFailure: true },
    );
    if (!details.failed) return;
    const error = details.errorInstance;
    const replay = { seed: details.seed, path: details.counterexamplePath ?? undefined };
    const sequence = details.counterexample ? String(details.counterexample[0]) : "?";
    if (error instanceof ConformanceFailure) {
      throw new ConformanceFailure(`${error.message} [sequence ${sequence}]`, error.expectation, error.exchanges, replay);
    }
    // A skip inside a property (an adapter that lacks what it needs) is a skip, not a crash.
    if (error instanceof ScenarioSkip) throw error;
    if (error instanceof ProtocolError) throw error;
    throw new ProtocolError(`model run crashed: ${(error as Error | undefined)?.message ?? String(error)} [sequence ${sequence}]`);
  },
};
