// The real clients' round trip runs once per token kind and run: clients.roundtrip
// judges it and endpoints.audit audits its requests, whichever starts it. Every
// installer installs what every publisher published once per run, the pairs
// spread over the write kinds, and every client runs under every kind; with one
// write kind, all the pairs run under it. Real runs of the testkit's example kit
// with two real clients (node processes speaking HTTP) against the reference
// registry: counted, and with a client that calls an endpoint outside the
// format's route table, which the audit must name whichever scenario ran it.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type ClientDriver, type RunReport, type TokenKind, runConformance } from "@regkit/core";
import { createReferenceRegistry, type ReferenceRegistry } from "@regkit/registry";
import { exampleKit, exampleReference, resultOf } from "@regkit/testkit";
import { type ExampleProfile, nodeClient } from "./example-clients.js";

/** A client of the example format under another name, whose publishes and installs are counted by token kind. */
function counted(name: string, calls: string[], options: { strayPath?: string } = {}): ClientDriver<ExampleProfile> {
  const base = nodeClient();
  return {
    ...base,
    name,
    async publish(artifact, ctx) {
      calls.push(`${ctx.credential.kind} ${name} publish ${artifact.name}`);
      return base.publish!(artifact, ctx);
    },
    async install(pkg, version, ctx) {
      calls.push(`${ctx.credential.kind} ${name} install ${pkg}`);
      // A client that needs an endpoint the format's protocol does not have.
      if (options.strayPath) await fetch(`${ctx.registry}${options.strayPath}`).then((res) => res.arrayBuffer());
      return base.install!(pkg, version, ctx);
    },
  };
}

const KINDS: readonly TokenKind[] = ["personal", "deploy"];

describe("the clients' round trip, shared by clients.roundtrip and endpoints.audit", () => {
  let registry: ReferenceRegistry;
  let credentials: { personal: string; deploy: { username: string; token: string } };

  beforeAll(async () => {
    registry = await createReferenceRegistry({ formats: [exampleReference] });
    credentials = { personal: registry.tokens.personal, deploy: { username: registry.tokens.deployUsername, token: registry.tokens.deploy } };
  });
  afterAll(async () => {
    await registry?.close();
  });

  const run = (drivers: readonly ClientDriver<ExampleProfile>[]): Promise<RunReport> =>
    runConformance({ kit: { ...exampleKit, drivers }, target: { registry: registry.registries.example!, credentials }, scenarios: ["clients.roundtrip", "endpoints.audit"], tokenKinds: KINDS });

  test("each client runs once per kind; every installer meets every publisher once per run, the pairs spread over the kinds; both scenarios pass", async () => {
    const calls: string[] = [];
    const report = await run([counted("client-a", calls), counted("client-b", calls)]);
    for (const kind of KINDS) {
      expect(resultOf(report, "clients.roundtrip", kind).status, kind).toBe("pass");
      expect(resultOf(report, "endpoints.audit", kind).status, kind).toBe("pass");
    }
    const of = (kind: TokenKind, what: string): string[] => calls.filter((c) => c.startsWith(`${kind} `) && c.includes(` ${what} `)).sort();
    // One publish per client and kind: the audit did not start the clients again.
    expect(of("personal", "publish").map((c) => c.split(" ")[1])).toEqual(["client-a", "client-b"]);
    expect(of("deploy", "publish").map((c) => c.split(" ")[1])).toEqual(["client-a", "client-b"]);
    // The 2 installers × 2 publishers, each pair once per run, spread over the kinds:
    // personal, each installer its own package; deploy, the other's.
    const pairsOf = (kind: TokenKind, suffix: string) => of(kind, "install").map((c) => [c.split(" ")[1], new RegExp(`client-(a|b)-${suffix}$`).exec(c)?.[1]]);
    expect(pairsOf("personal", "pat")).toEqual([
      ["client-a", "a"],
      ["client-b", "b"],
    ]);
    expect(pairsOf("deploy", "dpl")).toEqual([
      ["client-a", "b"],
      ["client-b", "a"],
    ]);
    // The audit counted the clients' requests, and both results name the clients that took part.
    for (const kind of KINDS) {
      const audit = resultOf(report, "endpoints.audit", kind);
      expect(audit.notes.some((n) => /^standard PUT /.test(n)), audit.notes.join("\n")).toBe(true);
      expect(audit.clients?.map((c) => c.name).sort()).toEqual(["client-a", "client-b"]);
      expect(resultOf(report, "clients.roundtrip", kind).clients?.map((c) => c.name).sort()).toEqual(["client-a", "client-b"]);
    }
    expect(report.cleanup.left).toEqual([]);
  }, 120_000);

  test("with one write kind every installer installs every publisher's package under it; with more kinds than publishers a later kind repeats a pair", async () => {
    const calls: string[] = [];
    const one = await runConformance({
      kit: { ...exampleKit, drivers: [counted("client-a", calls), counted("client-b", calls)] },
      target: { registry: registry.registries.example!, credentials },
      scenarios: ["clients.roundtrip"],
      tokenKinds: ["deploy"],
    });
    expect(resultOf(one, "clients.roundtrip", "deploy").status).toBe("pass");
    expect(calls.filter((c) => c.includes(" install ")).map((c) => `${c.split(" ")[1]} ${/client-(a|b)-dpl$/.exec(c)?.[1]}`).sort()).toEqual(["client-a a", "client-a b", "client-b a", "client-b b"]);

    // One client publishes (a), two install (a, and b, which only installs): three kinds, one publisher.
    calls.length = 0;
    const installOnly: ClientDriver<ExampleProfile> = { ...counted("client-b", calls), publish: undefined };
    const three = await runConformance({
      kit: { ...exampleKit, drivers: [counted("client-a", calls), installOnly] },
      target: { registry: registry.registries.example!, credentials: { ...credentials, job: registry.tokens.job } },
      scenarios: ["clients.roundtrip"],
      tokenKinds: ["personal", "deploy", "job"],
    });
    for (const kind of ["personal", "deploy", "job"] as const) {
      expect(resultOf(three, "clients.roundtrip", kind).status, kind).toBe("pass");
      expect(calls.filter((c) => c.startsWith(`${kind} `) && c.includes(" install ")).map((c) => c.split(" ")[1]).sort(), kind).toEqual(["client-a", "client-b"]);
    }
  }, 120_000);

  test("a client that calls an endpoint outside the route table fails the audit under every kind, with the request named", async () => {
    const calls: string[] = [];
    const report = await run([counted("client-a", calls), counted("client-stray", calls, { strayPath: "/-/whoami" })]);
    for (const kind of KINDS) {
      expect(resultOf(report, "clients.roundtrip", kind).status, kind).toBe("pass");
      const audit = resultOf(report, "endpoints.audit", kind);
      expect(audit.status, kind).toBe("fail");
      expect(audit.message).toMatch(/request outside the example standard route table: GET .*\/-\/whoami \(\d{3}, via client-stray\)/);
      expect(audit.exchanges.some((e) => e.path.endsWith("/-/whoami") && e.via === "client-stray")).toBe(true);
    }
  }, 120_000);
});
