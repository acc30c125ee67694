/** A seeded sample of a selection's ids (in manifest order), so an audit projects a fair subset. */
import { Rng } from '@dermagan/gan';
import type { ImageEntry } from '@dermagan/dataset';

export function sampleIds(entries: readonly ImageEntry[], n: number | undefined, seed: number): string[] {
  if (n === undefined || n >= entries.length) return entries.map((e) => e.id);
  const rows = Array.from(entries.keys());
  const rng = new Rng(seed);
  for (let i = rows.length - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  return rows
    .slice(0, n)
    .sort((a, b) => a - b)
    .map((r) => entries[r]!.id);
}
