// No token in any form in what a Terraform run reports: the catalog's
// credential-heavy scenarios under every token kind, through a registry that
// echoes the credentials it was sent in its answers (so they land in tofu's
// output and in response snippets), rendered as JSON and HTML. The download
// token GitLab puts in X-Terraform-Get (a JWT) must not appear either.
import { ALL_TOKEN_KINDS, type RunReport, renderHtml } from "@regkit/core";
import { type Fault, expectNoSecrets, resultOf, useFaultHarness } from "@regkit/testkit";
import { expect, test } from "vitest";
import { terraformKit } from "@regkit/terraform";
import { terraformReference } from "@regkit/terraform/reference";

const harness = useFaultHarness(terraformKit, terraformReference);
const tofu = await terraformKit.drivers[0]!.unavailable();

/** Echoes the credential headers of every request in the answer; refuses reads of push.small's module with them. */
const echo: Fault = (ex) => {
  const sent = Object.entries(ex.headers)
    .filter(([name]) => /token|authorization/i.test(name))
    .map(([name, value]) => `${name}: ${value} ${/^basic /i.test(value) ? Buffer.from(value.slice(6), "base64").toString() : ""}`)
    .join("; ");
  if (!sent) return undefined;
  const body = JSON.stringify({ message: `you sent ${sent}` });
  if (ex.method === "GET" && /-small-/.test(ex.path) && /\/versions$/.test(ex.path)) {
    return { request: { answer: { status: 500, headers: { "content-type": "application/json", "x-echo": sent }, body } } };
  }
  return { response: (res) => (res.status >= 400 ? { headers: { ...res.headers, "x-echo": sent }, body } : { headers: { ...res.headers, "x-echo": sent } }) };
};

test("no secret in any form in the reports of a run against a registry that echoes them", async () => {
  const h = harness();
  const secrets = [...h.registry.secrets];
  const reports: RunReport[] = [
    await h.run(echo, { scenarios: ["push.small", "pull.package", "clients.roundtrip", "auth.matrix", "terraform.download-token"], tokenKinds: ALL_TOKEN_KINDS }),
  ];
  // The echo did its job: push.small's reads broke with the credentials in the answer.
  for (const kind of ["personal", "deploy", "job"] as const) expect(resultOf(reports[0]!, "push.small", kind).status).toBe("error");
  if (!tofu) expect(resultOf(reports[0]!, "clients.roundtrip", "personal").status).toBe("pass");
  const text = `${JSON.stringify(reports)}\n${renderHtml(reports, { secrets })}`;
  // The download answers were recorded, their JWT redacted.
  expect(text).toMatch(/x-terraform-get/i);
  expect(text).not.toMatch(/token=eyJ/);
  expectNoSecrets(text, h.registry);
}, 300_000);
