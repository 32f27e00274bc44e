export declare const DOCKER_REGISTRY: string;
export type DistributionAuth = "htpasswd" | "none" | "token";
export declare function distributionUnavailable(options?: { auth?: DistributionAuth }): Promise<string | undefined>;
export interface StartedRegistry {
  /** What a target's `registry` takes (the origin: images at the root namespace). */
  url: string;
  origin: string;
  auth: string;
  username?: string;
  password?: string;
  /** Token mode: the read-only user (pull only) and the token server. */
  readerUsername?: string;
  readerPassword?: string;
  tokens?: import("./oci-token.mjs").TokenServer;
  pid: number;
  /** The server's recent output (for failures). */
  output(): string;
  close(): Promise<void>;
}
export declare function startDistribution(options?: { auth?: DistributionAuth; username?: string; password?: string; timeoutMs?: number }): Promise<StartedRegistry>;
export declare function craneRegistryUnavailable(): Promise<string | undefined>;
export declare function startCraneRegistry(options?: { timeoutMs?: number }): Promise<StartedRegistry>;
