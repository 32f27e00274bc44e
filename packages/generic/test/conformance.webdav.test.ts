// The whole catalog against nginx as a plain WebDAV file server in GitLab's
// layout (profile webdav: anonymous reads, Basic credentials to write,
// PROPFIND to list versions, DELETE to clean up), the real curl included.
import { describeConformance } from "@regkit/testkit";
import { afterAll, describe, it } from "vitest";
import { genericKit } from "@regkit/generic";
import { type NginxRepository, davExtUnavailable, nginxUnavailable, startNginxDav } from "../../../tooling/testing/nginx.mjs";

const reason = nginxUnavailable() ?? davExtUnavailable();
const nginx: NginxRepository | undefined = reason
  ? undefined
  : await startNginxDav({ location: "generic", davMethods: ["PUT", "DELETE"], davExtMethods: ["PROPFIND", "OPTIONS"], openMethods: ["GET", "PROPFIND", "OPTIONS"] });

afterAll(async () => {
  await nginx?.close();
});

if (!nginx) {
  describe("generic conformance against nginx WebDAV", () => {
    it.skip(`skipped: ${reason}`, () => {});
  });
} else {
  describeConformance(
    genericKit,
    {
      registry: nginx.url,
      profile: "webdav",
      credentials: {
        deploy: nginx.writer,
        // A user nginx does not let write: reads are anonymous, so only the write is refused.
        readonly: { username: "reader", token: "not-a-writer" },
      },
      options: { manyVersions: 12, manyPackages: 6, largeSize: 6 * 1024 * 1024, numRuns: 3, maxCommands: 8 },
    },
    { label: "nginx" },
  );
}
