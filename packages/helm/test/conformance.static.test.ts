// The whole catalog against a static chart repository: nginx serving
// <channel>/index.yaml and <channel>/charts/*.tgz (WebDAV PUT and DELETE with
// Basic credentials, anonymous GET), the index written by the real
// `helm repo index --merge` (an implementation of the index apart from
// GitLab's and the reference's), the real helm included. ChartMuseum, the
// usual third-party Helm registry, cannot be installed on this machine (the Go
// module proxy answers 403 for it): see docs/helm.md.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTool } from "@regkit/core";
import { describeConformance } from "@regkit/testkit";
import { afterAll, describe, it } from "vitest";
import { helmDriver, helmKit } from "@regkit/helm";
import { type NginxRepository, nginxUnavailable, startNginxDav } from "../../../tooling/testing/nginx.mjs";

const reason = nginxUnavailable() ?? (await helmDriver.unavailable());
const nginx: NginxRepository | undefined = reason ? undefined : await startNginxDav({ location: "helm", davMethods: ["PUT", "DELETE"], openMethods: ["GET"], types: { "text/yaml": ["yaml"], "application/gzip": ["tgz"] } });

// An empty channel, its index.yaml written by `helm repo index` as a new static repository starts.
if (nginx) {
  const work = await mkdtemp(join(tmpdir(), "regkit-helm-static-"));
  await mkdir(join(work, "repo"), { recursive: true });
  const result = await runTool({ command: "helm", args: ["repo", "index", join(work, "repo")], env: { HELM_CACHE_HOME: work, HELM_CONFIG_HOME: work, HELM_DATA_HOME: work }, secrets: [], timeoutMs: 30_000 });
  if (result.code !== 0) throw new Error(`helm repo index: ${result.output}`);
  await mkdir(join(nginx.root, "stable", "charts"), { recursive: true });
  await writeFile(join(nginx.root, "stable", "index.yaml"), await readFile(join(work, "repo", "index.yaml")));
  await rm(work, { recursive: true, force: true });
}

afterAll(async () => {
  await nginx?.close();
});

if (!nginx) {
  describe("helm conformance against a static chart repository", () => {
    it.skip(`skipped: ${reason}`, () => {});
  });
} else {
  describeConformance(
    helmKit,
    {
      registry: nginx.url,
      profile: "static",
      credentials: {
        deploy: nginx.writer,
        // A user nginx does not let write: reads are anonymous, so only the write is refused.
        readonly: { username: "reader", token: "not-a-writer" },
      },
      settings: { manyVersions: 10, manyPackages: 4, largeSize: "3MiB", numRuns: 2, maxCommands: 6 },
    },
    { label: "static" },
  );
}
