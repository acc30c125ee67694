import { setTimeout as sleep } from 'node:timers/promises';

/** How a call that failed transiently is retried: exponential backoff with full jitter. */
export interface RetryOptions {
  /** Total attempts including the first (1 = no retry). */
  attempts: number;
  /** Delay before the second attempt, in ms; each next delay is `factor` times longer. */
  initialDelayMs: number;
  /** Upper bound of one delay, in ms. */
  maxDelayMs: number;
  /** Growth of the delay per attempt. */
  factor: number;
}

/** Defaults for a store call: 5 attempts over about 3 s. Tests pass faster ones. */
export const DEFAULT_RETRY: RetryOptions = { attempts: 5, initialDelayMs: 200, maxDelayMs: 5_000, factor: 2 };

/** What a retried call ended with when every attempt failed transiently. */
export class RetriesExhausted extends Error {
  override name = 'RetriesExhausted';
  constructor(
    readonly attempts: number,
    readonly lastError: unknown,
  ) {
    super(`failed after ${attempts} attempt(s)`, { cause: lastError });
  }
}

/**
 * Calls `fn` until it succeeds, a failure is not `transient`, or the attempts are used up. A
 * non-transient failure is rethrown as it is, at once; exhausted retries throw RetriesExhausted
 * carrying the last failure. The delay before attempt n+1 is uniform in [d/2, d] where
 * d = min(maxDelayMs, initialDelayMs · factor^(n-1)).
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, transient: (err: unknown) => boolean, options: RetryOptions = DEFAULT_RETRY): Promise<T> {
  if (!Number.isInteger(options.attempts) || options.attempts < 1) {
    throw new RangeError(`withRetry: attempts must be an integer >= 1, got ${options.attempts}`);
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!transient(err)) throw err;
      if (attempt >= options.attempts) throw new RetriesExhausted(attempt, err);
      const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** (attempt - 1));
      await sleep(ceiling / 2 + (Math.random() * ceiling) / 2);
    }
  }
}
