import { describe, expect, it } from 'vitest';
import { BusError, RetriesExhaustedError } from './errors.ts';
import { DEFAULT_RETRY, backoffDelay, retryOptions, sleep, withRetry } from './retry.ts';

const noJitter = retryOptions({ retries: 4, initialRetryTimeMs: 100, maxRetryTimeMs: 500, multiplier: 2, jitter: 0 });
const fast = retryOptions({ retries: 2, initialRetryTimeMs: 1, maxRetryTimeMs: 5, jitter: 0 });

describe('backoffDelay', () => {
  it('grows by the multiplier and stops at maxRetryTimeMs: 100, 200, 400, 500, 500', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, noJitter))).toEqual([100, 200, 400, 500, 500]);
  });

  it('spreads each wait within ±jitter of the nominal time', () => {
    const o = retryOptions({ initialRetryTimeMs: 1000, maxRetryTimeMs: 1000, jitter: 0.2 });
    expect(backoffDelay(1, o, () => 0)).toBe(800);
    expect(backoffDelay(1, o, () => 0.5)).toBe(1000);
    expect(backoffDelay(1, o, () => 0.999999)).toBe(1200);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(1 + (i % 6), o);
      expect(d).toBeGreaterThanOrEqual(800);
      expect(d).toBeLessThanOrEqual(1200);
    }
  });
});

describe('retryOptions', () => {
  it('fills in the defaults', () => {
    expect(retryOptions()).toEqual(DEFAULT_RETRY);
    expect(retryOptions({ retries: 0 })).toEqual({ ...DEFAULT_RETRY, retries: 0 });
  });

  it.each([
    [{ retries: -1 }, /retries must be an integer ≥ 0, got -1/],
    [{ retries: 1.5 }, /retries must be an integer ≥ 0/],
    [{ initialRetryTimeMs: 100, maxRetryTimeMs: 50 }, /maxRetryTimeMs must be ≥ initialRetryTimeMs \(100\), got 50/],
    [{ multiplier: 0.5 }, /multiplier must be ≥ 1/],
    [{ jitter: 2 }, /jitter must be between 0 and 1, got 2/],
    [{ initialRetryTimeMs: Number.NaN }, /initialRetryTimeMs/],
  ])('throws a non-retriable BusUsageError for %j', (bad, message) => {
    expect(() => retryOptions(bad)).toThrow(message);
    expect(() => retryOptions(bad)).toThrow(expect.objectContaining({ name: 'BusUsageError', retriable: false }));
  });
});

describe('withRetry', () => {
  it('retries retriable failures until the operation succeeds, reporting each wait', async () => {
    const waits: Array<[number, string, number]> = [];
    const attempts: number[] = [];
    const result = await withRetry(
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 3) throw new BusError(`busy ${attempt}`);
        return 'ok';
      },
      fast,
      { onRetry: (retry, err, delay) => waits.push([retry, (err as Error).message, delay]) },
    );
    expect(result).toBe('ok');
    expect(attempts).toEqual([1, 2, 3]);
    expect(waits).toEqual([[1, 'busy 1', 1], [2, 'busy 2', 2]]);
  });

  it('throws a non-retriable failure at once, unchanged', async () => {
    const bad = Object.assign(new Error('bad input'), { retriable: false });
    let calls = 0;
    await expect(withRetry(async () => { calls++; throw bad; }, fast)).rejects.toBe(bad);
    expect(calls).toBe(1);
  });

  it('wraps the last failure in RetriesExhaustedError after retries + 1 attempts', async () => {
    const last = new BusError('still down');
    let calls = 0;
    const err = await withRetry(async () => { calls++; throw last; }, fast).catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    expect(err).toMatchObject({ attempts: 3, cause: last, retriable: true, message: 'gave up after 3 attempts: still down' });
  });

  it('stops waiting when the signal aborts, with the abort reason', async () => {
    const controller = new AbortController();
    const slow = retryOptions({ retries: 3, initialRetryTimeMs: 60_000, maxRetryTimeMs: 60_000, jitter: 0 });
    const run = withRetry(async () => { throw new BusError('down'); }, slow, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('closing')), 10);
    await expect(run).rejects.toThrow('closing');
  });
});

describe('sleep', () => {
  it('rejects at once when the signal is already aborted', async () => {
    await expect(sleep(10_000, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });
});
