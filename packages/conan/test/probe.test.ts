// The driver's version probe runs conan in a home of its own: conan 2 makes
// and migrates `~/.conan2` on any command, and the user's home is not the kit's.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { conanVersion } from "../src/drivers.js";

test("conan --version leaves the user's home and the temporary directory as they were", async (ctx) => {
  const home = await mkdtemp(join(tmpdir(), "regkit-conan-user-"));
  const temp = await mkdtemp(join(tmpdir(), "regkit-conan-tmp-"));
  const saved = { HOME: process.env.HOME, TMPDIR: process.env.TMPDIR };
  process.env.HOME = home;
  process.env.TMPDIR = temp;
  try {
    const version = await conanVersion();
    if (version === undefined) ctx.skip("conan not found on PATH (packages/conan/ci/install-tools.sh)");
    expect(version).toMatch(/^Conan version 2\./);
    expect(await readdir(home)).toEqual([]);
    expect(await readdir(temp)).toEqual([]);
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await rm(home, { recursive: true, force: true });
    await rm(temp, { recursive: true, force: true });
  }
});
