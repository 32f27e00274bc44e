// No token in any form in what a Conan run reports: the catalog's auth-heavy
// scenarios and the real conan client under every token kind, through a
// registry that echoes the credentials it was sent (Basic and Bearer) in its
// answers and refuses conan's uploads and some adapter reads with them, so
// they land in conan's output and in response snippets; then rendered as
// JSON and HTML.
import { ALL_TOKEN_KINDS, type RunReport, renderHtml } from "@regkit/core";
import { type Fault, expectNoSecrets, resultOf, useFaultHarness } from "@regkit/testkit";
import { expect, test } from "vitest";
import { conanDriver, conanKit } from "@regkit/conan";
import { conanReference } from "@regkit/conan/reference";

const harness = useFaultHarness(conanKit, conanReference);
const conanMissing = await conanDriver.unavailable();

const echo: Fault = (ex) => {
  const sent = Object.entries(ex.headers)
    .filter(([name]) => /token|authorization/i.test(name))
    .map(([name, value]) => `${name}: ${value} ${/^basic /i.test(value) ? Buffer.from(value.slice(6), "base64").toString() : ""}`)
    .join("; ");
  if (!sent) return undefined;
  const body = JSON.stringify({ message: `you sent ${sent}` });
  const refuse = (status: number) => ({ request: { answer: { status, headers: { "content-type": "application/json", "x-echo": sent }, body } } });
  const fromConan = /conan/i.test(ex.headers["user-agent"] ?? "");
  if (fromConan && ex.method === "PUT") return refuse(403);
  if (!fromConan && ex.method === "GET" && /-small-/.test(ex.path) && /\/files\/conanfile\.py$/.test(ex.path)) return refuse(500);
  return { response: (res) => (res.status >= 400 ? { headers: { ...res.headers, "x-echo": sent }, body } : { headers: { ...res.headers, "x-echo": sent } }) };
};

test("no secret in any form in the reports of a run against a registry that echoes them", async () => {
  const h = harness();
  const secrets = [...h.registry.secrets];
  const scenarios = ["push.small", "auth.matrix", "conan.login", "conan.login-refused", ...(conanMissing ? [] : ["clients.roundtrip"])];
  const report: RunReport = await h.run(echo, { scenarios, tokenKinds: ALL_TOKEN_KINDS });
  // The echo did its job: refused reads and refused conan uploads are results with evidence.
  for (const kind of ["personal", "deploy", "job"] as const) {
    expect(resultOf(report, "push.small", kind).status).toBe("error");
    if (!conanMissing) expect(resultOf(report, "clients.roundtrip", kind).status).toBe("fail");
  }
  const text = `${JSON.stringify(report)}\n${renderHtml([report], { secrets })}`;
  expectNoSecrets(text, h.registry);
}, 300_000);
