// The driver's version probe runs conan in a home of its own: conan 2 makes
// and migrates `~/.conan2` on any command, and the user's home is not the kit's.
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { conanVersion } from "../src/drivers.js";

test("conan --version leaves the user's home and the temporary directory as they were", async (ctx) => {
  const home = await mkdtemp(join(tmpdir(), "regkit-conan-user-"));
  const saved = process.env.HOME;
  process.env.HOME = home;
  try {
    const version = await conanVersion();
    if (version === undefined) ctx.skip("conan not found on PATH (packages/conan/ci/install-tools.sh)");
    expect(version).toMatch(/^Conan version 2\./);
    expect(await readdir(home)).toEqual([]);
    expect(existsSync(join(tmpdir(), `regkit-conan-version-${process.pid}`))).toBe(false);
  } finally {
    process.env.HOME = saved;
    await rm(home, { recursive: true, force: true });
  }
});
