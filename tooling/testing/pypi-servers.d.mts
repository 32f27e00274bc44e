export { freePort } from "./verdaccio.mjs";

/** Why pypiserver cannot be started here (not installed by packages/pypi/ci/install-tools.sh), or undefined. */
export declare function pypiserverUnavailable(): string | undefined;
/** Why devpi-server cannot be started here, or undefined. */
export declare function devpiUnavailable(): string | undefined;

export interface PypiserverInstance {
  /** The registry URL (the server's root). */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** `pypi-server --version`. */
  readonly version: string;
  readonly pid: number | undefined;
  /** The directory it serves packages from. */
  readonly packages: string;
  /** The server's recent output. */
  output(): string;
  close(): Promise<void>;
}

export declare function startPypiserver(options?: {
  reads?: "open" | "closed";
  user?: string;
  password?: string;
  overwrite?: boolean;
  timeoutMs?: number;
}): Promise<PypiserverInstance>;

export interface DevpiInstance {
  /** Origin of the server. */
  readonly url: string;
  /** The registry URL: the index, `<url>/<user>/<index>`. */
  readonly registry: string;
  readonly username: string;
  readonly password: string;
  /** `<user>/<index>`. */
  readonly index: string;
  /** `devpi-server --version`. */
  readonly version: string;
  readonly pid: number | undefined;
  output(): string;
  close(): Promise<void>;
}

export declare function startDevpi(options?: {
  user?: string;
  password?: string;
  index?: string;
  volatile?: boolean;
  timeoutMs?: number;
}): Promise<DevpiInstance>;
