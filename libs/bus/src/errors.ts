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
 * Node system error codes of failures that pass: a peer that reset, refused or timed out, a name
 * lookup that may succeed later, a resource that is busy or exhausted for now.
 */
const TRANSIENT_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN',
  'EAI_AGAIN', 'EBUSY', 'EAGAIN', 'EMFILE', 'ENFILE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT',
]);

/** The decision one error (not its causes) carries, or undefined when it says nothing. */
function ownDecision(err: object): boolean | undefined {
  const { name, retriable, code } = err as { name?: unknown; retriable?: unknown; code?: unknown };
  // kafkajs marks "gave up retrying" non-retriable, yet the brokers may well be back later
  if (name === 'KafkaJSNumberOfRetriesExceeded') return true;
  if (typeof retriable === 'boolean') return retriable;
  if (typeof name === 'string' && NON_RETRIABLE_NAMES.has(name)) return false;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  return undefined;
}

/**
 * Can retrying help? Only when an error says so: its own boolean `retriable` (BusError,
 * ContractError, KafkaJSError, StoreError and the project's errors all carry one), else a known
 * bad-input name (never), else a transient Node system error code (ECONNRESET, ETIMEDOUT, …),
 * else the first decision down its `cause` chain (a wrapper keeps its cause's). An error that says
 * nothing — a plain Error, a TypeError, a thrown string — is not retried: retrying a bug or bad
 * input only delays its dead letter. Mark a transient failure `retriable: true` to have it retried.
 */
export function isRetriable(err: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = err; typeof e === 'object' && e !== null && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const decision = ownDecision(e);
    if (decision !== undefined) return decision;
  }
  return false;
}

/** The name, message and retriability of any thrown value (for dead letters and logs). */
export function describeError(err: unknown): { name: string; message: string; retriable: boolean } {
  if (err instanceof Error) return { name: err.name, message: err.message, retriable: isRetriable(err) };
  return { name: typeof err, message: String(err), retriable: isRetriable(err) };
}
