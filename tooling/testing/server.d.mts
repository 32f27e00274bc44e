import type { ChildProcess, SpawnOptions } from "node:child_process";

export interface ServerOptions {
  /** The server's name in failure messages. */
  label: string;
  command: string;
  args: readonly string[];
  /** Where the server answers; handed to `ready`. */
  url: string;
  /** True once the server answers as expected; a throw counts as not yet. */
  ready(url: string): Promise<boolean>;
  /** How long to wait for `ready` (default 30 s). */
  timeoutMs?: number;
  /** How long between two `ready` polls (default 100 ms). */
  intervalMs?: number;
  /** Merged over stdout and stderr piped, stdin ignored. */
  spawnOptions?: SpawnOptions;
  /** The signal close() stops the server with (default SIGTERM). */
  stopSignal?: NodeJS.Signals;
  /** When given, SIGKILL after this long if the server has not exited. */
  killAfterMs?: number;
  /** Runs after the server has exited (throw-away directories, helper servers). */
  cleanup?(): Promise<void>;
}

export interface Server {
  child: ChildProcess;
  /** The server's recent output (stdout and stderr, where piped). */
  output(): string;
  /** Stops the server and runs `cleanup`; safe to call more than once. */
  close(): Promise<void>;
}

export declare function startServer(options: ServerOptions): Promise<Server>;

/** A free TCP port on 127.0.0.1. */
export declare function freePort(): Promise<number>;
/** A readiness check for startServer: any HTTP answer at `${url}/`. */
export declare function answersAtRoot(url: string): Promise<boolean>;
/** Runs `start(port)` on up to three free ports in turn; throws "<label> did not start: ..." with the last failure and `log()`. */
export declare function onFreePort<T>(label: string, start: (port: number) => Promise<T>, log?: () => Promise<string>): Promise<T>;
