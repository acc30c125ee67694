import { describe, expect, it } from 'vitest';
import { RetriesExhausted, withRetry } from './retry.ts';

const fast = { attempts: 4, initialDelayMs: 1, maxDelayMs: 4, factor: 2 };
const transientOnly = (err: unknown) => (err as Error).message === 'transient';

describe('withRetry', () => {
  it('returns the first success and passes the attempt number', async () => {
    const seen: number[] = [];
    const result = await withRetry(async (attempt) => {
      seen.push(attempt);
      if (attempt < 3) throw new Error('transient');
      return 'ok';
    }, transientOnly, fast);
    expect(result).toBe('ok');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('when every attempt fails transiently: throws RetriesExhausted with the last failure', async () => {
    let calls = 0;
    const err = await withRetry(async () => {
      calls++;
      throw new Error('transient');
    }, transientOnly, fast).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect(err).toBeInstanceOf(RetriesExhausted);
    expect((err as RetriesExhausted).attempts).toBe(4);
    expect(((err as RetriesExhausted).lastError as Error).message).toBe('transient');
  });

  it('when a failure is not transient: rethrows it at once', async () => {
    let calls = 0;
    const boom = new Error('bad input');
    await expect(withRetry(async () => {
      calls++;
      throw boom;
    }, transientOnly, fast)).rejects.toBe(boom);
    expect(calls).toBe(1);
  });

  it('waits with backoff between attempts', async () => {
    const started = Date.now();
    await withRetry(async (attempt) => {
      if (attempt < 3) throw new Error('transient');
    }, transientOnly, { attempts: 3, initialDelayMs: 40, maxDelayMs: 1000, factor: 2 });
    // Delays are at least 20 ms then 40 ms (the lower half of the jittered window).
    expect(Date.now() - started).toBeGreaterThanOrEqual(60);
  });

  it('rejects attempts < 1', async () => {
    await expect(withRetry(async () => 1, transientOnly, { ...fast, attempts: 0 })).rejects.toThrow(/attempts must be/);
  });
});
