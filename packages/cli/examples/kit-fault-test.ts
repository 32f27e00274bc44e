// The testkit example of docs/writing-a-kit.md and packages/testkit/README.md:
// typechecked by packages/cli/test/docs.test.ts.
import { expect, test } from "vitest";
import { corruptBody, describeConformance, resultOf, useFaultHarness } from "@regkit/testkit";
import { npmKit } from "@regkit/npm";
import { npmReference } from "@regkit/npm/reference";

const harness = useFaultHarness(npmKit, npmReference);

test("corrupted tarballs fail pull.package", async () => {
  const report = await harness().run(corruptBody({ when: (e) => e.path.endsWith(".tgz") }), { scenarios: ["pull.package"] });
  expect(resultOf(report, "pull.package").status).toBe("fail");
});

// Scenarios excluded on purpose are reported `disabled`, with the reason.
describeConformance(npmKit, { registry: "https://registry.example.com/npm/", profile: "verdaccio" }, { exclude: { "push.many": "the shared instance is rate-limited" } });
