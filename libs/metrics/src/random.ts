/**
 * The seeded generator every sampled metric uses (KID subsets, PPL end-points). Mulberry32: a
 * 32-bit state, tiny and easy to reproduce bit-for-bit elsewhere (libs/metrics/fixtures/
 * make_fixtures.py re-implements it so KID fixtures use the very same subsets).
 */

export interface Rng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number;
  /** Standard normal (Box–Muller, one value per call, two uniforms each). */
  normal(): number;
}

export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed)) throw new RangeError(`createRng: seed must be an integer, got ${seed}`);
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    normal() {
      const u1 = 1 - next(); // (0, 1]
      const u2 = next();
      return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    },
  };
}

/**
 * `m` distinct indices out of 0..n-1 (partial Fisher–Yates: step i swaps i with
 * i + ⌊u·(n−i)⌋), in the order drawn.
 */
export function sampleWithoutReplacement(rng: Rng, n: number, m: number): Int32Array {
  if (m > n) throw new RangeError(`sampleWithoutReplacement: cannot draw ${m} of ${n}`);
  const pool = new Int32Array(n);
  for (let i = 0; i < n; i++) pool[i] = i;
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(rng.next() * (n - i));
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  return pool.slice(0, m);
}

/** A seeded sample of `m` of the items, kept in their order; all of them when `m` is undefined or not below their number. */
export function sampleInOrder<T>(items: readonly T[], m: number | undefined, seed: number): T[] {
  if (m === undefined || m >= items.length) return [...items];
  const rows = Array.from(sampleWithoutReplacement(createRng(seed), items.length, m)).sort((a, b) => a - b);
  return rows.map((r) => items[r]!);
}
