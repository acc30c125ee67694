import { partitionGroups, type PartitionItem } from './partition.ts';

export type Split = 'train' | 'test' | 'all';

/**
 * Patient-grouped, label-stratified train/test split (seeded). `train` is the train fraction in
 * (0, 1), or null for no split (every item is 'all').
 */
export function splitByPatient(items: readonly PartitionItem[], train: number | null, seed: number): Split[] {
  if (train === null) return items.map(() => 'all');
  if (!(train > 0 && train < 1)) throw new RangeError(`splitByPatient: train fraction must be in (0, 1), got ${train}`);
  return partitionGroups(items, [train, 1 - train], seed).map((b) => (b === 0 ? 'train' : 'test'));
}
