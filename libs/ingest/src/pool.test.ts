import { describe, expect, it } from 'vitest';
import { orderedPool } from './pool.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('orderedPool', () => {
  it('consumes in input order although later items finish first', async () => {
    const delays = [30, 1, 20, 1, 10, 1, 5, 1];
    const finished: number[] = [];
    const consumed: number[] = [];
    await orderedPool(
      delays,
      async (ms, i) => {
        await sleep(ms);
        finished.push(i);
        return i * 10;
      },
      (r, i) => {
        expect(r).toBe(i * 10);
        consumed.push(i);
      },
      { concurrency: 4 },
    );
    expect(consumed).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(finished).not.toEqual(consumed);
  });

  it('never has more than `concurrency` calls in flight, nor runs more than `window` ahead', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let consumedUpTo = -1;
    let maxAhead = 0;
    await orderedPool(
      Array.from({ length: 40 }, (_, i) => i),
      async (i) => {
        maxAhead = Math.max(maxAhead, i - consumedUpTo);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(i % 3);
        inFlight--;
      },
      async (_r, i) => {
        await sleep(i === 0 ? 20 : 0); // a slow consumer lets the workers run ahead
        consumedUpTo = i;
      },
      { concurrency: 3, window: 5 },
    );
    expect(maxInFlight).toBe(3);
    expect(maxAhead).toBeLessThanOrEqual(5);
  });

  it('rejects with the first error of work and starts nothing after it', async () => {
    const started: number[] = [];
    await expect(
      orderedPool(
        Array.from({ length: 20 }, (_, i) => i),
        async (i) => {
          started.push(i);
          await sleep(1);
          if (i === 2) throw new Error('boom at 2');
          return i;
        },
        () => {},
        { concurrency: 2 },
      ),
    ).rejects.toThrow('boom at 2');
    expect(Math.max(...started)).toBeLessThan(6);
  });

  it('rejects with an error of consume', async () => {
    await expect(
      orderedPool([1, 2, 3], async (x) => x, (x) => {
        if (x === 2) throw new Error('consume failed');
      }, { concurrency: 2 }),
    ).rejects.toThrow('consume failed');
  });

  it('stops when the signal aborts, rejecting with its reason', async () => {
    const controller = new AbortController();
    let calls = 0;
    const run = orderedPool(
      Array.from({ length: 100 }, (_, i) => i),
      async () => {
        calls++;
        await sleep(2);
      },
      (_r, i) => {
        if (i === 5) controller.abort(new Error('shutting down'));
      },
      { concurrency: 2, signal: controller.signal },
    );
    await expect(run).rejects.toThrow('shutting down');
    expect(calls).toBeLessThan(100);
  });

  it('handles an empty list and rejects a bad concurrency', async () => {
    await expect(orderedPool([], async () => 1, () => {}, { concurrency: 1 })).resolves.toBeUndefined();
    await expect(orderedPool([1], async () => 1, () => {}, { concurrency: 0 })).rejects.toThrow(/positive integer/);
  });
});
