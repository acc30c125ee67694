/**
 * Bus errors say whether retrying can help (`retriable`) and keep the failure that caused them
 * (`cause`). Bad input — an envelope or data that breaks the contract — is never retriable: the bus
 * sends it to the dead-letter topic at once instead of trying again.
 */

export interface BusErrorOptions {
  /** Whether trying the same operation again may succeed; default true (a transient failure). */
  retriable?: boolean;
  /** The underlying failure. */
  cause?: unknown;
}

/** Base class of every error the bus raises. */
export class BusError extends Error {
  override name = 'BusError';
  readonly retriable: boolean;
  constructor(message: string, options: BusErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retriable = options.retriable ?? true;
  }
}

/** Misuse of the bus (bad option, bad topic or group name, publish after close). Never retriable. */
export class BusUsageError extends BusError {
  override name = 'BusUsageError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retriable: false });
  }
}

/**
 * An operation kept failing with retriable errors until the retries ran out; carries the attempts
 * made and the last failure as `cause`. Retriable like that failure: a later try may still work.
 */
export class RetriesExhaustedError extends BusError {
  override name = 'RetriesExhaustedError';
  readonly attempts: number;
  constructor(attempts: number, cause: unknown) {
    super(`gave up after ${attempts} attempts: ${describeError(cause).message}`, { retriable: isRetriable(cause), cause });
    this.attempts = attempts;
  }
}

/** Errors known by name to be bad input (zod's own error escapes when a handler parses by itself). */
const NON_RETRIABLE_NAMES = new Set(['ContractError', 'ZodError', 'ValidationError', 'UserError', 'ConfigError']);

/**
 * Can retrying help? An error's own boolean `retriable` decides (BusError, ContractError,
 * KafkaJSError and the project's errors all carry one) — except kafkajs' "number of retries
 * exceeded", which is transient for us; known bad-input errors are not retriable; anything else is
 * assumed transient.
 */
export function isRetriable(err: unknown): boolean {
  if (typeof err === 'object' && err !== null) {
    // kafkajs marks "gave up retrying" non-retriable, yet the brokers may well be back later
    if ((err as { name?: unknown }).name === 'KafkaJSNumberOfRetriesExceeded') return true;
    const flag = (err as { retriable?: unknown }).retriable;
    if (typeof flag === 'boolean') return flag;
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string' && NON_RETRIABLE_NAMES.has(name)) return false;
  }
  return true;
}

/** The name, message and retriability of any thrown value (for dead letters and logs). */
export function describeError(err: unknown): { name: string; message: string; retriable: boolean } {
  if (err instanceof Error) return { name: err.name, message: err.message, retriable: isRetriable(err) };
  return { name: typeof err, message: String(err), retriable: isRetriable(err) };
}
