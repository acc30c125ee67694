/**
 * The q-th percentile (0..100) of values by linear interpolation between order statistics,
 * numpy's default (`method='linear'`): position p = q/100 · (m − 1) in the sorted values.
 * NaN for an empty list.
 */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile: q must be in [0, 100], got ${q}`);
  const sorted = Float64Array.from(values).sort();
  const m = sorted.length;
  if (m === 0) return NaN;
  const p = (q / 100) * (m - 1);
  const lo = Math.floor(p);
  const t = p - lo;
  const a = sorted[lo]!;
  const b = sorted[Math.min(lo + 1, m - 1)]!;
  // numpy's _lerp: a + (b − a)·t, computed from the nearer end for t >= 0.5.
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}
