import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Measures how many bytes of ArrayBuffers (where Node keeps Buffer contents) stay alive while a
 * stream flows, to check that a store streams instead of buffering a whole object. Each sample
 * first forces a full garbage collection, so only live buffers count.
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

export class MemoryProbe {
  private readonly baseline: number;
  /** Highest live ArrayBuffer bytes above the baseline seen by sample(). */
  peakAboveBaseline = 0;

  constructor() {
    gc();
    this.baseline = process.memoryUsage().arrayBuffers;
  }

  /** Samples every `everyMs` until `work` settles, and once more at the end; returns its result. */
  async during<T>(work: Promise<T>, everyMs = 25): Promise<T> {
    const timer = setInterval(() => this.sample(), everyMs);
    try {
      return await work;
    } finally {
      clearInterval(timer);
      this.sample();
    }
  }

  sample(): void {
    gc();
    const live = process.memoryUsage().arrayBuffers - this.baseline;
    if (live > this.peakAboveBaseline) this.peakAboveBaseline = live;
  }
}
