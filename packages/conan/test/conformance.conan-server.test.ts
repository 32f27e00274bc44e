// A Conan registry nobody here wrote: Conan's own server (conan_server 2,
// pinned, from PyPI through packages/conan/ci/install-tools.sh), started on
// 127.0.0.1 with one user, checked with the conan-server profile: its user
// writes (personal), anyone reads (anonymous), a wrong password is refused
// (invalid); the real conan client takes part where it is installed.
import { afterAll, describe } from "vitest";
import { describeConformance } from "@regkit/core/vitest";
import { conanKit } from "@regkit/conan";
import { CONAN_SERVER_USER, conanServerUnavailable, startConanServer } from "./conan-server.js";

const why = conanServerUnavailable();

describe.skipIf(why !== undefined)(`conan_server${why ? ` (skipped: ${why})` : ""}`, async () => {
  const server = why ? undefined : await startConanServer();
  afterAll(async () => {
    await server?.close();
  });
  if (!server) return;
  describeConformance(
    conanKit,
    {
      registry: server.url,
      profile: "conan-server",
      credentials: { personal: server.password, personalUsername: CONAN_SERVER_USER },
      settings: { manyVersions: 10, manyPackages: 4, largeSize: "2MiB", numRuns: 3, maxCommands: 8 },
    },
    { label: "conan_server" },
  );
});
