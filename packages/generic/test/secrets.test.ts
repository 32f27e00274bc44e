// No token in any form in what a Generic run reports: the whole catalog under
// every token kind and both gitlab profiles, through a registry that refuses
// curl's uploads and every adapter read with the credentials it was sent
// echoed back (so they land in curl's output and in response snippets), then
// rendered as JSON and HTML.
import { ALL_TOKEN_KINDS, type RunReport, renderHtml } from "@regkit/core";
import { type Fault, expectNoSecrets, resultOf, useFaultHarness } from "@regkit/testkit";
import { expect, test } from "vitest";
import { genericKit } from "@regkit/generic";
import { genericReference } from "@regkit/generic/reference";

const harness = useFaultHarness(genericKit, genericReference);

/** Echoes the credential headers of every request in the answer; refuses curl's uploads and the adapter's downloads of push.small with them. */
const echo: Fault = (ex) => {
  const sent = Object.entries(ex.headers)
    .filter(([name]) => /token|authorization/i.test(name))
    .map(([name, value]) => `${name}: ${value} ${/^basic /i.test(value) ? Buffer.from(value.slice(6), "base64").toString() : ""}`)
    .join("; ");
  if (!sent) return undefined;
  const body = JSON.stringify({ message: `you sent ${sent}` });
  const refuse = (status: number) => ({ request: { answer: { status, headers: { "content-type": "application/json", "x-echo": sent }, body } } });
  if (/curl/i.test(ex.headers["user-agent"] ?? "") && ex.method === "PUT") return refuse(403);
  if (ex.method === "GET" && /-small-/.test(ex.path) && !/curl/i.test(ex.headers["user-agent"] ?? "")) return refuse(500);
  return { response: (res) => (res.status >= 400 ? { headers: { ...res.headers, "x-echo": sent }, body } : { headers: { ...res.headers, "x-echo": sent } }) };
};

test("no secret in any form in the reports of a run against a registry that echoes them", async () => {
  const h = harness();
  const secrets = [...h.registry.secrets];
  const reports: RunReport[] = [];
  for (const profile of ["gitlab", "gitlab-basic"]) {
    reports.push(await h.run(echo, { scenarios: ["push.small", "clients.roundtrip", "auth.matrix", "generic.package-file"], tokenKinds: ALL_TOKEN_KINDS, profile }));
  }
  // The echo did its job: curl's refused uploads and the refused reads are failures with evidence.
  for (const report of reports) {
    for (const kind of ["personal", "deploy", "job"] as const) {
      expect(resultOf(report, "clients.roundtrip", kind).status).toBe("fail");
      expect(resultOf(report, "push.small", kind).status).toBe("error");
    }
  }
  const text = `${JSON.stringify(reports)}\n${renderHtml(reports, { secrets })}`;
  expectNoSecrets(text, h.registry);
}, 300_000);
