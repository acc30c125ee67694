/**
 * Run `work` over `items` with at most `concurrency` calls in flight and hand the results to
 * `consume` in input order (so the output is the same whatever finishes first). Workers may run
 * ahead of the consumer by at most `window` items, which bounds the memory held by finished but
 * not yet consumed results. `consume` is awaited; an error in `work` or `consume` stops new work
 * and rejects once the in-flight calls settle.
 */
export interface OrderedPoolOptions {
  /** Calls of `work` in flight at once (≥ 1). */
  concurrency: number;
  /** How far (in items) work may run ahead of the consumer; undefined = 4 × concurrency. */
  window?: number;
  /** Stop starting new work when aborted; the pool then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export async function orderedPool<T, R>(
  items: readonly T[],
  work: (item: T, index: number) => Promise<R>,
  consume: (result: R, index: number) => void | Promise<void>,
  options: OrderedPoolOptions,
): Promise<void> {
  const concurrency = options.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`orderedPool: concurrency must be a positive integer, got ${concurrency}`);
  }
  const window = Math.max(options.window ?? 4 * concurrency, concurrency);
  const done = new Map<number, R>();
  let next = 0; // next item to start
  let head = 0; // next item to consume
  let failure: { error: unknown } | null = null;
  let wake: (() => void) | null = null;
  const signal = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const waitForChange = () => new Promise<void>((resolve) => (wake = resolve));
  // Workers that ran `window` items ahead of the consumer wait here until it catches up.
  const aheadWaiters: Array<() => void> = [];
  const releaseAhead = () => aheadWaiters.splice(0).forEach((r) => r());

  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      if (options.signal?.aborted) {
        failure ??= { error: options.signal.reason };
        break;
      }
      if (next - head >= window) {
        await new Promise<void>((resolve) => aheadWaiters.push(resolve));
        continue;
      }
      const index = next++;
      try {
        done.set(index, await work(items[index]!, index));
      } catch (error) {
        failure ??= { error };
      }
      signal();
    }
  };
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, worker);
  const all = Promise.all(workers).then(signal);
  try {
    while (head < items.length && failure === null) {
      if (!done.has(head)) {
        await waitForChange();
        continue;
      }
      const result = done.get(head)!;
      done.delete(head);
      try {
        await consume(result, head);
      } catch (error) {
        failure ??= { error };
        break;
      }
      head++;
      releaseAhead();
    }
  } finally {
    if (failure !== null) releaseAhead();
    await all;
    releaseAhead();
  }
  if (failure !== null) throw failure.error;
}
