/**
 * The training runs this process is training, each with an AbortController that a
 * `training.cancel.requested` fires: the in-process counterpart of the launcher deleting a run's
 * Jobs. A cancelled run stops at its next step, keeps its last checkpoint (a later request for the
 * same run resumes from it) and is not handed back for redelivery.
 */
export class InProcessRuns {
  /** Per run, each training of it here: its controller, and a promise that settles when it has stopped. */
  private readonly running = new Map<string, Set<{ controller: AbortController; stopped: Promise<unknown> }>>();

  /**
   * Run `work` as training of `run`. Its signal fires when the run is cancelled or when `outer`
   * fires (the service shutting down); `cancelled()` tells the two apart afterwards.
   */
  async track<T>(run: string, outer: AbortSignal | undefined, work: (signal: AbortSignal, cancelled: () => boolean) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const signal = outer ? AbortSignal.any([outer, controller.signal]) : controller.signal;
    const training = work(signal, () => controller.signal.aborted);
    const entry = { controller, stopped: training.catch(() => undefined) };
    const set = this.running.get(run) ?? new Set();
    set.add(entry);
    this.running.set(run, set);
    try {
      return await training;
    } finally {
      set.delete(entry);
      if (set.size === 0) this.running.delete(run);
    }
  }

  /** Cancel every training of `run` in this process and wait until they have stopped; whether there was one. */
  async cancel(run: string): Promise<boolean> {
    const entries = [...(this.running.get(run) ?? [])];
    for (const e of entries) e.controller.abort(new Error(`training ${run} cancelled`));
    await Promise.all(entries.map((e) => e.stopped));
    return entries.length > 0;
  }
}
