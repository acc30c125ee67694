/** Histograms for the report and the portal: several series over shared, equal-width bins. */

export interface Histogram {
  name: string;
  /** bins + 1 ascending edges. */
  edges: number[];
  counts: number[];
}

/** One histogram per series, all over the same `bins` equal bins spanning every series' values. */
export function sharedHistograms(series: Record<string, ArrayLike<number>>, bins = 20): Histogram[] {
  const all = Object.values(series).flatMap((v) => Array.from(v).filter(Number.isFinite));
  const lo = all.length > 0 ? Math.min(...all) : 0;
  let hi = all.length > 0 ? Math.max(...all) : 1;
  if (hi <= lo) hi = lo + 1;
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width));
  return Object.entries(series).map(([name, values]) => {
    const counts = new Array<number>(bins).fill(0);
    for (const v of Array.from(values)) {
      if (!Number.isFinite(v)) continue;
      counts[Math.min(bins - 1, Math.floor((v - lo) / width))]! += 1;
    }
    return { name, edges, counts };
  });
}
