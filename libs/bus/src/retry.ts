/**
 * Exponential backoff with jitter. The n-th retry waits
 * `min(maxRetryTimeMs, initialRetryTimeMs · multiplier^(n-1))`, spread by ±jitter, so many
 * consumers failing at once do not retry in lock-step.
 */
import { BusUsageError, RetriesExhaustedError, isRetriable } from './errors.ts';

export interface RetryOptions {
  /** Retries after the first attempt (attempts = retries + 1); 0 = no retry. */
  retries: number;
  /** Wait before the first retry, in ms. */
  initialRetryTimeMs: number;
  /** Upper bound of one wait, in ms (before jitter). */
  maxRetryTimeMs: number;
  /** Growth of the wait per retry (2 doubles it). */
  multiplier: number;
  /** Spread of each wait as a fraction, 0–1: 0.2 waits between 80 % and 120 % of the nominal time. */
  jitter: number;
}

/** Production defaults: 5 retries over roughly 10 s. */
export const DEFAULT_RETRY: Readonly<RetryOptions> = Object.freeze({
  retries: 5,
  initialRetryTimeMs: 300,
  maxRetryTimeMs: 30_000,
  multiplier: 2,
  jitter: 0.2,
});

/** Fill in defaults and check the values; throws BusUsageError naming the bad field. */
export function retryOptions(partial: Partial<RetryOptions> = {}): RetryOptions {
  const o = { ...DEFAULT_RETRY, ...partial };
  const bad = (field: keyof RetryOptions, want: string) =>
    new BusUsageError(`retry options: ${field} must be ${want}, got ${String(o[field])}`);
  if (!Number.isInteger(o.retries) || o.retries < 0) throw bad('retries', 'an integer ≥ 0');
  if (!(o.initialRetryTimeMs >= 0)) throw bad('initialRetryTimeMs', 'a number of ms ≥ 0');
  if (!(o.maxRetryTimeMs >= o.initialRetryTimeMs)) throw bad('maxRetryTimeMs', `≥ initialRetryTimeMs (${o.initialRetryTimeMs})`);
  if (!(o.multiplier >= 1)) throw bad('multiplier', '≥ 1');
  if (!(o.jitter >= 0 && o.jitter <= 1)) throw bad('jitter', 'between 0 and 1');
  return o;
}

/**
 * Wait before retry number `retry` (1 = the first retry), in ms.
 * @param random a uniform [0, 1) source; tests pass a fixed one.
 */
export function backoffDelay(retry: number, options: RetryOptions, random: () => number = Math.random): number {
  const nominal = Math.min(options.maxRetryTimeMs, options.initialRetryTimeMs * options.multiplier ** (retry - 1));
  return Math.round(nominal * (1 + options.jitter * (2 * random() - 1)));
}

/** Resolve after `ms`, or reject with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface WithRetryOptions {
  /** Aborts the waits between attempts (the abort reason is thrown). */
  signal?: AbortSignal;
  /** Called before each wait with the retry number (1 = first retry), the failure and the wait. */
  onRetry?: (retry: number, error: unknown, delayMs: number) => void;
  /** Uniform [0, 1) source for the jitter. */
  random?: () => number;
}

/**
 * Run `operation` until it succeeds. A non-retriable failure is thrown at once, unchanged; when
 * the retries run out, RetriesExhaustedError wraps the last failure.
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
  { signal, onRetry, random }: WithRetryOptions = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (err) {
      if (!isRetriable(err)) throw err;
      if (attempt > options.retries) throw new RetriesExhaustedError(attempt, err);
      const delay = backoffDelay(attempt, options, random);
      onRetry?.(attempt, err, delay);
      await sleep(delay, signal);
    }
  }
}
