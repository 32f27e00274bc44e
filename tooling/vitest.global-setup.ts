import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

export default function setup(): void {
  // One seed for the whole run: taken from REGKIT_SEED when set (to replay a
  // failure), otherwise drawn here and printed so every failure can be replayed.
  if (!process.env.REGKIT_SEED) process.env.REGKIT_SEED = String(Date.now() % 2 ** 31);
  console.log(`regkit: fast-check seed ${process.env.REGKIT_SEED} (replay with REGKIT_SEED=${process.env.REGKIT_SEED})`);
  // Tools installed by tooling/ci/install-tools.sh (pnpm tools) come first on PATH.
  const tools = process.env.REGKIT_TOOLS ?? join(root, ".regkit-tools");
  process.env.REGKIT_TOOLS = tools;
  process.env.PATH = [join(tools, "bin"), process.env.PATH ?? ""].join(delimiter);
}
