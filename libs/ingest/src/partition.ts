import { seededRandom, shuffled } from './random.ts';

/**
 * Patient-grouped, label-stratified partition of items into bins with target fractions: the one
 * algorithm behind the train/test split and the tenant partition.
 *
 * 1. Items are grouped by patient; an item with an empty patient is its own group.
 * 2. Groups are ordered by a seeded shuffle of their sorted keys, then (stably) largest first, so
 *    big groups are placed while there is still room and the result does not depend on row order.
 * 3. Each group goes to the bin where it most reduces the squared relative shortfall
 *    Σ_b [Σ_c ((n_bc − f_b·N_c) / N_c)² + ((n_b − f_b·N) / N)²], i.e. the bin with the largest
 *    deficit in the group's classes. Dividing by the class total N_c weights a rare class
 *    (melanoma) as much as a common one; the last term keeps bin sizes on target when the
 *    per-class rounding would otherwise pile up in one bin.
 *
 * A patient never straddles two bins. With singleton groups every bin's count of every class ends
 * within one image of f_b·N_c; a group of g images can add up to g to that deviation.
 */
export interface PartitionItem {
  /** Patient (grouping) id; '' = ungrouped (the item is its own group). */
  patient: string;
  /** Unique item id (the key of an ungrouped item's group). */
  id: string;
  /** Class index ≥ 0. */
  label: number;
}

/** Bin index per item, in item order. `fractions` must be ≥ 0 and sum to 1 (± 1e-9). */
export function partitionGroups(items: readonly PartitionItem[], fractions: readonly number[], seed: number): number[] {
  if (fractions.length === 0 || fractions.some((f) => !(f >= 0))) {
    throw new RangeError(`partitionGroups: fractions must be non-negative numbers, got [${fractions.join(', ')}]`);
  }
  const sum = fractions.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-9) throw new RangeError(`partitionGroups: fractions must sum to 1, got ${sum}`);

  // Group items by patient.
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    const key = item.patient === '' ? `\u0000${item.id}` : item.patient;
    const list = groups.get(key);
    if (list) list.push(i);
    else groups.set(key, [i]);
  });
  const classes = 1 + items.reduce((m, it) => Math.max(m, it.label), -1);
  const totals = new Array<number>(classes).fill(0);
  for (const it of items) totals[it.label]!++;

  // Seeded order: shuffle sorted keys, then largest first (Array.prototype.sort is stable).
  const keys = shuffled([...groups.keys()].sort(), seededRandom(seed));
  keys.sort((a, b) => groups.get(b)!.length - groups.get(a)!.length);

  // Greedy placement.
  const counts = fractions.map(() => new Array<number>(classes).fill(0));
  const sizes = fractions.map(() => 0);
  const bins = new Array<number>(items.length).fill(-1);
  const perClass = new Array<number>(classes).fill(0);
  for (const key of keys) {
    const members = groups.get(key)!;
    perClass.fill(0);
    for (const i of members) perClass[items[i]!.label]!++;
    let best = 0;
    let bestDelta = Infinity;
    fractions.forEach((f, b) => {
      let delta = 0;
      for (let c = 0; c < classes; c++) {
        const v = perClass[c]!;
        if (v === 0) continue;
        const n = totals[c]!;
        // ((x + v − t)² − (x − t)²) / n², with x the bin's count and t its target for class c.
        delta += (v * v + 2 * v * (counts[b]![c]! - f * n)) / (n * n);
      }
      const g = members.length;
      delta += (g * g + 2 * g * (sizes[b]! - f * items.length)) / (items.length * items.length);
      if (delta < bestDelta - 1e-12) {
        bestDelta = delta;
        best = b;
      }
    });
    for (let c = 0; c < classes; c++) counts[best]![c]! += perClass[c]!;
    sizes[best]! += members.length;
    for (const i of members) bins[i] = best;
  }
  return bins;
}
