/**
 * Which real clients took part in a result and how each did: the rows of the
 * compatibility matrix. Filled by the runner from what it sees (the drivers a
 * scenario opened a recording proxy for, the clients it noted as skipped), so
 * no kit or driver has to report anything.
 *
 * @module
 */
import type { ClientDriver, ClientRun, ScenarioResult } from "./contract.js";
import { probedVersion } from "./process.js";
import { skippedClients } from "./scenarios/clients.js";

/** The version a driver reports: its own `version()`, else the first line of the probe its `unavailable()` ran. */
export function driverVersion(driver: ClientDriver): Promise<string | undefined> {
  const known = versions.get(driver);
  if (known) return known;
  const asked = (async () => {
    try {
      return driver.version ? await driver.version() : await probedVersion(() => driver.unavailable());
    } catch {
      // A version is a label: a driver that cannot say leaves it out, and the result stands.
      return undefined;
    }
  })();
  versions.set(driver, asked);
  return asked;
}

const versions = new WeakMap<ClientDriver, Promise<string | undefined>>();

/**
 * Whether a failed result names `name` as the client whose part failed: its
 * message starts with the client's name ("mvn could not resolve ..."), or its
 * last evidence came through that client's recording proxy.
 */
function blames(result: ScenarioResult, name: string): boolean {
  const message = result.message ?? "";
  if (message.startsWith(`${name} `) || message.startsWith(`${name}:`)) return true;
  return result.exchanges.at(-1)?.via === name;
}

/**
 * A note in which a scenario that went on anyway says this client failed its
 * part: endpoints.audit notes a refused publish or a failed install and passes
 * (it audits routes, not clients), but the client did not work there.
 */
function failureNoted(result: ScenarioResult, name: string): string | undefined {
  return result.notes.find((note) => note.startsWith(`${name} publish was refused: `) || note.startsWith(`${name} install: `));
}

/**
 * The clients of `result`: each driver the scenario used (`used`, by name), with
 * its version and a status from the result, then each client the scenario
 * noted as skipped (not on the machine: `skip`, with the reason, never `pass`).
 * A failed or errored result fails the client it blames, or every client used
 * when it blames none (the round trip failed while they took part); a result
 * that passed fails a client whose failure it noted (endpoints.audit).
 */
export async function clientRunsOf(result: ScenarioResult, used: ReadonlyMap<string, ClientDriver>): Promise<readonly ClientRun[]> {
  const runs: ClientRun[] = [];
  const failed = result.status === "fail" || result.status === "error";
  const blamed = failed ? [...used.keys()].filter((name) => blames(result, name)) : [];
  for (const [name, driver] of used) {
    const version = await driverVersion(driver);
    const base = { name, ...(version === undefined ? {} : { version }) };
    if (failed) {
      const mine = blamed.length === 0 || blamed.includes(name);
      runs.push(mine ? { ...base, status: "fail", reason: result.message } : { ...base, status: "pass" });
    } else if ((result.status === "pass" || result.status === "deviation") && failureNoted(result, name)) {
      runs.push({ ...base, status: "fail", reason: failureNoted(result, name) });
    } else if (result.status === "deviation") {
      runs.push({ ...base, status: "deviation", reason: result.message });
    } else if (result.status === "pass") {
      runs.push({ ...base, status: "pass" });
    } else {
      runs.push({ ...base, status: "skip", reason: result.message });
    }
  }
  for (const { client, reason } of skippedClients(result)) {
    if (used.has(client)) continue;
    // A skipped client is not on the machine: no version to show.
    runs.push({ name: client, status: "skip", reason });
  }
  return runs;
}
