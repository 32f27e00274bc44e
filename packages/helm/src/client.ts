import { ScenarioSkip, type Artifact, type Downloaded, type Exchange, type PublishOutcome, type RegistryClient, type Session } from "@regkit/core";
import type { HelmProfile } from "./profiles.js";

/** The Helm adapter: the protocol spoken with one credential, every request through session.http (recorded, redacted). */
export interface HelmClient extends RegistryClient {}

/** Until a method is written, scenarios that need it skip and say where to write it. */
function todo(method: string): never {
  throw new ScenarioSkip(`the helm adapter does not implement ${method} yet (packages/helm/src/client.ts)`);
}

export function connectHelm(session: Session<HelmProfile>): HelmClient {
  void session;
  return {
    publish: async (_artifact: Artifact): Promise<PublishOutcome> => todo("publish"),
    download: async (_name: string, _version: string): Promise<Downloaded> => todo("download"),
    versions: async (_name: string): Promise<readonly string[]> => todo("versions"),
    metadata: async (_name: string): Promise<Exchange> => todo("metadata"),
  };
}
