/**
 * The classifier's one source of randomness: mulberry32 (a 32-bit state, period 2^32), small
 * enough to checkpoint as one number and simple enough to re-implement in the Python fixture
 * script, so seeded bootstrap resamples are checked exactly against an independent implementation.
 */
export class Rng {
  private s: number;

  /** `seed` is any integer; it is reduced to 32 bits. */
  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`Rng: seed must be an integer, got ${seed}`);
    this.s = seed >>> 0;
  }

  /** The full state (one uint32): `new Rng(rng.state())` continues the same sequence. */
  state(): number {
    return this.s;
  }

  /** Next uint32. */
  nextUint32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1): uint32 / 2^32. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n): floor(next() * n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A fresh seed for a sub-task (an initializer, a dropout layer), drawn from this stream. */
  seed(): number {
    return this.nextUint32() & 0x7fffffff;
  }

  /** Fisher–Yates shuffle in place (i from the end, j = int(i + 1)); returns the array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }
}
