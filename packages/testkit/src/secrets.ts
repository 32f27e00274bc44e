/**
 * The search every kit's secrets test ends with: no secret of the registry in
 * what a run reported, raw, URL-encoded, in Base64, or as the Base64 of HTTP
 * Basic `user:secret` under each username a credential may travel with.
 *
 * @module
 */
import { expect } from "vitest";
import type { FaultHarness } from "./harness.js";

/** The Base64 of `text` without its padding (padding differs with what surrounds it). */
function base64(text: string): string {
  return Buffer.from(text).toString("base64").replace(/=+$/, "");
}

/**
 * Fails the test when `text` holds any of the harness registry's secrets in
 * any of those forms; the usernames are the personal token's owner, the job
 * token's `gitlab-ci-token` and both deploy tokens' own.
 */
export function expectNoSecrets(text: string, registry: FaultHarness["registry"]): void {
  const users = ["regkit", "gitlab-ci-token", registry.tokens.deployUsername, registry.tokens.readonlyDeployUsername];
  for (const secret of registry.secrets) {
    for (const form of [secret, encodeURIComponent(secret), base64(secret)]) {
      expect(text.includes(form), `a secret leaked (${form === secret ? "raw" : "encoded"})`).toBe(false);
    }
    for (const user of users) expect(text.includes(base64(`${user}:${secret}`)), `a secret leaked as Basic ${user}`).toBe(false);
  }
}
