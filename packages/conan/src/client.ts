import { ScenarioSkip, type Artifact, type Downloaded, type Exchange, type PublishOutcome, type RegistryClient, type Session } from "@regkit/core";
import type { ConanProfile } from "./profiles.js";

/** The Conan adapter: the protocol spoken with one credential, every request through session.http (recorded, redacted). */
export interface ConanClient extends RegistryClient {}

/** Until a method is written, scenarios that need it skip and say where to write it. */
function todo(method: string): never {
  throw new ScenarioSkip(`the conan adapter does not implement ${method} yet (packages/conan/src/client.ts)`);
}

export function connectConan(session: Session<ConanProfile>): ConanClient {
  void session;
  return {
    publish: async (_artifact: Artifact): Promise<PublishOutcome> => todo("publish"),
    download: async (_name: string, _version: string): Promise<Downloaded> => todo("download"),
    versions: async (_name: string): Promise<readonly string[]> => todo("versions"),
    metadata: async (_name: string): Promise<Exchange> => todo("metadata"),
  };
}
