/**
 * Latent neighbours of a w (REFERENCE §7.5, the paper's "N latent neighbours at distance 0.1"):
 * w + u with u ~ U(−r, r)^wDim, r = 0.1. The reference did this in Z and then clipped z to
 * [−1, 1] — which also clipped the seed's own components beyond ±1 and moved "neighbours" far
 * from their seed. Here the perturbation is in W, where projections live, and nothing is clipped:
 * every neighbour is within r of its w in each coordinate (L∞ distance ≤ r).
 */
import { Rng } from '@dermagan/gan';
import { check } from '../errors.ts';
import type { Rows } from '../embedding/matrix.ts';

export interface NeighbourOptions {
  /** Neighbours per w. */
  count: number;
  /** Half-width of the uniform box (the reference's --diameter, 0.1). */
  radius: number;
  seed: number;
}

export const DEFAULT_NEIGHBOURS: NeighbourOptions = { count: 10, radius: 0.1, seed: 0 };

/** Neighbours of each row: [rows × count, wDim], the neighbours of row i at rows i·count … */
export function latentNeighbours(w: Rows, options: Partial<NeighbourOptions> = {}): Rows {
  const o = { ...DEFAULT_NEIGHBOURS, ...options };
  check(Number.isInteger(o.count) && o.count >= 1, 'latentNeighbours', () => `count must be a positive integer, got ${o.count}`);
  check(o.radius > 0, 'latentNeighbours', () => `radius must be > 0, got ${o.radius}`);
  const d = w.cols;
  const rng = new Rng(o.seed);
  const out = new Float32Array(w.rows * o.count * d);
  for (let i = 0; i < w.rows; i++) {
    for (let k = 0; k < o.count; k++) {
      const at = (i * o.count + k) * d;
      for (let j = 0; j < d; j++) out[at + j] = w.data[i * d + j]! + (2 * rng.uniform() - 1) * o.radius;
    }
  }
  return { data: out, rows: w.rows * o.count, cols: d };
}
