// No token in any form in what a Helm run reports: the catalog's credential
// paths under every token kind, through a registry that echoes the
// credentials it was sent back (in refusals the adapter and helm print, in
// headers), then rendered as JSON and HTML.
import { ALL_TOKEN_KINDS, type RunReport, renderHtml } from "@regkit/core";
import { type Fault, expectNoSecrets, resultOf, useFaultHarness } from "@regkit/testkit";
import { expect, test } from "vitest";
import { helmKit } from "@regkit/helm";
import { helmReference } from "@regkit/helm/reference";

const harness = useFaultHarness(helmKit, helmReference);

/** Echoes the credential headers of every request; refuses helm's index reads and the adapter's push.small uploads with them. */
const echo: Fault = (ex) => {
  const sent = Object.entries(ex.headers)
    .filter(([name]) => /token|authorization/i.test(name))
    .map(([name, value]) => `${name}: ${value} ${/^basic /i.test(value) ? Buffer.from(value.slice(6), "base64").toString() : ""}`)
    .join("; ");
  if (!sent) return undefined;
  const body = JSON.stringify({ message: `you sent ${sent}` });
  const refuse = (status: number) => ({ request: { answer: { status, headers: { "content-type": "application/json", "x-echo": sent }, body } } });
  if (/helm/i.test(ex.headers["user-agent"] ?? "") && ex.path.endsWith("index.yaml")) return refuse(403);
  if (ex.method === "POST" && ex.count % 2 === 0) return refuse(500);
  return { response: (res) => (res.status >= 400 ? { headers: { ...res.headers, "x-echo": sent }, body } : { headers: { ...res.headers, "x-echo": sent } }) };
};

test("no secret in any form in the reports of a run against a registry that echoes them", async () => {
  const h = harness();
  const secrets = [...h.registry.secrets];
  const report: RunReport = await h.run(echo, { scenarios: ["push.small", "clients.roundtrip", "auth.matrix", "helm.client"], tokenKinds: ALL_TOKEN_KINDS, settings: { processingWaitMs: 300 } });
  // The echo did its job: refused reads are failures or errors, with the echoing answers as evidence.
  const failed = report.results.filter((r) => r.status === "fail" || r.status === "error");
  expect(failed.length).toBeGreaterThan(0);
  expect(resultOf(report, "auth.matrix", "anonymous").status).not.toBe("skip");
  const text = `${JSON.stringify(report)}\n${renderHtml([report], { secrets })}`;
  expectNoSecrets(text, h.registry);
}, 300_000);
