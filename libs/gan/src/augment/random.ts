/**
 * The augment pipe's seeded random numbers, with a state that a checkpoint can hold.
 *
 * xoshiro128** (Blackman & Vigna 2018; four 32-bit words of state, period 2^128 − 1), seeded by
 * splitmix32 so that nearby seeds give unrelated streams. Normal deviates use Box–Muller with one
 * output per call (no cached second value), so the whole state is the four words: saving them
 * and restoring them later continues the exact same sequence.
 */

/** The serialisable state of a {@link SeededRandom}: four unsigned 32-bit words, not all zero. */
export type RandomState = [number, number, number, number];

/** What the augment pipe needs from a random source. */
export interface AugmentRandom {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal N(0, 1). */
  normal(): number;
  /** A copy of the current state. */
  getState(): RandomState;
  /** Continue from a state obtained from getState(). */
  setState(state: RandomState): void;
}

export class RandomStateError extends Error {
  override readonly name = 'RandomStateError';
  readonly retriable = false;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

export class SeededRandom implements AugmentRandom {
  private s: Uint32Array;

  /** @param seed any integer; only its low 32 bits are used. */
  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RandomStateError(`SeededRandom: seed must be an integer, got ${seed}`);
    const mix = splitmix32(seed);
    this.s = Uint32Array.from([mix(), mix(), mix(), mix()]);
  }

  /** The next raw 32-bit output. */
  nextUint32(): number {
    let [s0, s1, s2, s3] = this.getState();
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    s2 = (s2 ^ s0) >>> 0;
    s3 = (s3 ^ s1) >>> 0;
    s1 = (s1 ^ s2) >>> 0;
    s0 = (s0 ^ s3) >>> 0;
    s2 = (s2 ^ t) >>> 0;
    s3 = rotl(s3, 11);
    this.s[0] = s0;
    this.s[1] = s1;
    this.s[2] = s2;
    this.s[3] = s3;
    return result;
  }

  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  normal(): number {
    const u1 = 1 - this.uniform(); // (0, 1], so the log is finite
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  getState(): RandomState {
    return [this.s[0]!, this.s[1]!, this.s[2]!, this.s[3]!];
  }

  setState(state: RandomState): void {
    const ok =
      Array.isArray(state) &&
      state.length === 4 &&
      state.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) &&
      state.some((w) => w !== 0);
    if (!ok) {
      throw new RandomStateError(
        `SeededRandom.setState: expected four unsigned 32-bit integers, not all zero (from getState()), got ${JSON.stringify(state)}`,
      );
    }
    this.s = Uint32Array.from(state);
  }
}
