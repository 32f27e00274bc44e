// `pnpm regkit ...` from a fresh clone: builds the workspace first when the CLI
// is not built yet (build output goes to stderr, so `regkit serve` still
// prints its JSON line first on stdout), then runs the CLI in this process.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const bin = `${root}packages/cli/dist/bin.js`;
if (!existsSync(bin)) {
  const built = spawnSync("turbo", ["run", "build", "--output-logs=errors-only"], { cwd: root, stdio: ["ignore", 2, 2] });
  if (built.status !== 0) {
    process.stderr.write("regkit: building the workspace failed (run pnpm build to see why)\n");
    process.exit(2);
  }
}
await import(bin);
