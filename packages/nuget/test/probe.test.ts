// The driver's version probe runs NuGet.exe with a config directory of its
// own: NuGet writes a default NuGet.Config into the user's on any command.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { nugetExe } from "../src/drivers.js";

test("NuGet.exe's version probe leaves the user's home and the temporary directory as they were", async (ctx) => {
  const why = await nugetExe.unavailable?.();
  if (why) ctx.skip(why);
  const home = await mkdtemp(join(tmpdir(), "regkit-nuget-user-"));
  const temp = await mkdtemp(join(tmpdir(), "regkit-nuget-tmp-"));
  const saved = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME, TMPDIR: process.env.TMPDIR };
  process.env.HOME = home;
  process.env.XDG_CONFIG_HOME = join(home, ".config");
  process.env.TMPDIR = temp;
  try {
    expect(await nugetExe.version?.()).toMatch(/^NuGet\.exe \d+\.\d+/);
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
