// One seed for the whole run: taken from REGKIT_SEED when set (to replay a
// failure), otherwise drawn here and printed so every failure can be replayed.
export default function setup(): void {
  if (!process.env.REGKIT_SEED) process.env.REGKIT_SEED = String(Date.now() % 2 ** 31);
  console.log(`regkit: fast-check seed ${process.env.REGKIT_SEED} (replay with REGKIT_SEED=${process.env.REGKIT_SEED})`);
}
