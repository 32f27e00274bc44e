import type { Exchange, Expectation } from "./contract.js";

/**
 * The registry broke a rule of the format or of its declared policy: the
 * scenario fails. Carries what was expected, what came back, and the request.
 */
export class ConformanceFailure extends Error {
  readonly expectation: Expectation;
  readonly exchanges: readonly Exchange[];
  /** fast-check replay data when a property found the failure. */
  readonly replay: { readonly seed: number; readonly path?: string | undefined } | undefined;
  constructor(
    message: string,
    expectation: Expectation,
    exchanges: readonly Exchange[] = [],
    replay?: { readonly seed: number; readonly path?: string | undefined },
  ) {
    super(message);
    this.name = "ConformanceFailure";
    this.expectation = expectation;
    this.exchanges = exchanges;
    this.replay = replay;
  }
}

/**
 * The registry answered something a client cannot use (5xx, HTML where JSON
 * was due, a truncated body) or could not be reached: the scenario errors.
 */
export class ProtocolError extends Error {
  readonly exchanges: readonly Exchange[];
  readonly expectation: Expectation | undefined;
  constructor(message: string, exchanges: readonly Exchange[] = [], expectation?: Expectation) {
    super(message);
    this.name = "ProtocolError";
    this.exchanges = exchanges;
    this.expectation = expectation;
  }
}

/** The user's configuration cannot work (unknown profile, bad URL): exit code 2 in the CLI. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Thrown by `ctx.skip()`. */
export class ScenarioSkip extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "ScenarioSkip";
  }
}

/** Fails with a formatted expectation unless `ok`. */
export function expectThat(
  ok: boolean,
  message: string,
  expectation: Expectation,
  exchanges: readonly Exchange[] = [],
): asserts ok {
  if (!ok) throw new ConformanceFailure(message, expectation, exchanges);
}

/** "GET /foo -> 404" for messages. */
export function describeExchange(e: Exchange): string {
  return `${e.method} ${e.path} -> ${e.status === 0 ? "no response" : e.status}`;
}
