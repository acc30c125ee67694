/**
 * UMAP (McInnes, Healy & Melville 2018) through umap-js, seeded: umap-js draws every random
 * number (NN-descent, initialisation, negative sampling) from the `random` function it is given,
 * so a seeded uniform source makes the layout reproducible.
 */
import { Rng } from '@dermagan/gan';
import { UMAP } from 'umap-js';
import { check } from '../errors.ts';
import { checkRows, type Rows } from './matrix.ts';
import { pca, pcaTransform } from './pca.ts';

export interface UmapOptions {
  /** Output dimensions (2 or 3). */
  dims: 2 | 3;
  /** Neighbourhood size (umap-learn's default 15). */
  neighbours: number;
  /** Minimum distance between embedded points (0.1). */
  minDist: number;
  /** Optimisation epochs (undefined = umap-js' choice by dataset size). */
  epochs: number | undefined;
  /** Reduce to this many principal components first (null = none, as umap-learn). */
  pcaDims: number | null;
  seed: number;
}

export const DEFAULT_UMAP: UmapOptions = { dims: 3, neighbours: 15, minDist: 0.1, epochs: undefined, pcaDims: null, seed: 0 };

export interface UmapResult {
  coordinates: Float64Array;
  rows: number;
  dims: 2 | 3;
  options: UmapOptions;
}

export function umap(x: Rows, options: Partial<UmapOptions> = {}): UmapResult {
  const o = { ...DEFAULT_UMAP, ...options };
  checkRows(x, 'umap', 3);
  check(o.dims === 2 || o.dims === 3, 'umap', () => `dims must be 2 or 3, got ${o.dims}`);
  const input = o.pcaDims !== null && o.pcaDims < x.cols ? pcaTransform(pca(x, Math.min(o.pcaDims, x.rows)), x) : x;
  const neighbours = Math.min(o.neighbours, x.rows - 1);
  const rng = new Rng(o.seed);
  const model = new UMAP({
    nComponents: o.dims,
    nNeighbors: neighbours,
    minDist: o.minDist,
    ...(o.epochs !== undefined ? { nEpochs: o.epochs } : {}),
    random: () => rng.uniform(),
  });
  const rows: number[][] = Array.from({ length: input.rows }, (_, i) => Array.from(input.data.subarray(i * input.cols, (i + 1) * input.cols)));
  const out = model.fit(rows);
  const coordinates = new Float64Array(x.rows * o.dims);
  out.forEach((r, i) => r.forEach((v, a) => (coordinates[i * o.dims + a] = v)));
  return { coordinates, rows: x.rows, dims: o.dims, options: { ...o, neighbours } };
}
