// The whole catalog against nginx as a static Terraform module registry
// (profile static: files for discovery and versions, 204 with X-Terraform-Get
// from nginx's configuration, anonymous reads, Basic credentials for WebDAV
// PUT and DELETE), OpenTofu included: the second, independent target.
import { describeConformance } from "@regkit/testkit";
import { afterAll, describe, it } from "vitest";
import { terraformKit } from "@regkit/terraform";
import { type StaticRegistry, nginxUnavailable, startStaticRegistry } from "./support/static-registry.js";

const reason = nginxUnavailable();
const nginx: StaticRegistry | undefined = reason ? undefined : await startStaticRegistry();

afterAll(async () => {
  await nginx?.close();
});

if (!nginx) {
  describe("terraform conformance against a static registry (nginx)", () => {
    it.skip(`skipped: ${reason}`, () => {});
  });
} else {
  describeConformance(
    terraformKit,
    {
      registry: nginx.url,
      profile: "static",
      credentials: {
        deploy: nginx.writer,
        // A user nginx does not let write: reads are anonymous, so only the write is refused.
        readonly: { username: "reader", token: "not-a-writer" },
      },
      settings: { namespace: "regkit", manyVersions: 12, manyPackages: 4, largeSize: "3MiB", numRuns: 3, maxCommands: 8 },
    },
    { label: "nginx" },
  );
}
