// Shared set-up: adapters built on the recording HTTP client as the runner
// builds them, and what the conformance tests leave out when core's recording
// proxy cannot carry mvn. The reference registry itself comes from
// @regkit/testkit's fault harness.
import { type Credential, type Exchange, createHttpClient, resolveTarget, targetSecrets, type Target } from "@regkit/core";
import { type MavenClient, mavenKit } from "@regkit/maven";

/** An adapter for `target` under `credential`, recording into `exchanges`. */
export function adapter(target: Target, credential: Credential, exchanges: Exchange[] = []): MavenClient {
  const resolved = resolveTarget(mavenKit, target);
  const secrets = targetSecrets(resolved, credential);
  const http = createHttpClient({
    baseUrl: resolved.registry,
    authHeaders: resolved.profile.authHeaders(credential),
    via: "adapter",
    record: (e) => exchanges.push(e),
    secrets,
  });
  return mavenKit.connect({ target: resolved, credential, http, runId: "test", secrets });
}

/**
 * Whether core's recording proxy passes a PUT with `Expect: 100-continue` (what
 * mvn's Wagon sends) through to the registry. When it does not, scenarios that
 * drive mvn through that proxy cannot pass, whatever the registry does; the
 * conformance tests then leave them out and say why.
 */
export async function recordingProxyTakesExpectContinue(registryUrl: string): Promise<boolean> {
  const { startRecordingProxy } = await import("@regkit/core");
  const { request } = await import("node:http");
  const proxy = await startRecordingProxy({ registry: registryUrl, record: () => {}, secrets: [], via: "probe" });
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${proxy.url}/probe/expect-continue`, {
        method: "PUT",
        headers: { expect: "100-continue", "content-length": "2" },
      });
      req.once("continue", () => req.end("ok"));
      req.once("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.once("error", reject);
      req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
    });
    return status !== 502;
  } finally {
    await proxy.close();
  }
}

/**
 * What describeConformance's `exclude` leaves out against `registryUrl`:
 * `clients.roundtrip` when the recording proxy cannot carry mvn, else nothing.
 */
export async function exclusionsFor(registryUrl: string): Promise<Record<string, string>> {
  if (await recordingProxyTakesExpectContinue(registryUrl)) return {};
  return {
    "clients.roundtrip":
      "core's recording proxy answers 502 to a PUT with Expect: 100-continue (mvn sends it); mvn itself is tested directly in drivers.test.ts",
  };
}
