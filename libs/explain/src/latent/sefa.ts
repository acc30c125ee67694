/**
 * SeFa, closed-form factorisation of latent semantics (Shen & Zhou 2021; genforce/sefa), the
 * paper's third editing method (REFERENCE §6):
 *   1. the style-affine weights A_l (bias ignored) of the chosen ws indices, each [wDim, C_l];
 *   2. concatenated along columns, W = [A_a … A_b] [wDim, ΣC], each column scaled to unit norm;
 *   3. eigen-decomposition of W Wᵀ [wDim, wDim]; the directions are its eigenvectors, sorted by
 *      eigenvalue descending — explicitly (genforce leans on np.linalg.eig's order).
 * ws index l reads the conv layer fed by ws[l] (b4.conv1, b8.conv0, b8.conv1, …), and the last
 * index the final toRGB (NVlabs' map at 256²: 0 = b4.conv1 … 12 = b256.conv1, 13 = b256.torgb).
 * Our affine weights are stored [in, out] = [wDim, C] (genforce transposes to the same), and the
 * equalised-lr gain is a per-layer constant that the column normalisation removes.
 */
import type { Generator } from '@dermagan/gan';
import { symmetricEigen } from '@dermagan/metrics';
import { check } from '../errors.ts';
import { fixSign } from '../embedding/pca.ts';

type Variable = import('@tensorflow/tfjs').Variable;

/** One style affine: the layer's name and its weight [wDim, C] (row-major). */
export interface StyleAffine {
  name: string;
  /** ws index it reads. */
  index: number;
  weight: Float32Array;
  wDim: number;
  channels: number;
}

/** The style affines by ws index (length numWs). */
export function styleAffines(G: Generator): StyleAffine[] {
  const layers: Array<{ name: string; weight: Variable }> = [];
  for (const block of G.synthesis.blocks) {
    if (block.conv0) layers.push({ name: `b${block.resolution}.conv0`, weight: block.conv0.affine.weight });
    layers.push({ name: `b${block.resolution}.conv1`, weight: block.conv1.affine.weight });
  }
  const last = G.synthesis.blocks[G.synthesis.blocks.length - 1]!;
  layers.push({ name: `b${last.resolution}.torgb`, weight: last.torgb.affine.weight });
  check(layers.length === G.numWs, 'styleAffines', () => `found ${layers.length} style layers for ${G.numWs} ws`);
  return layers.map((l, index) => {
    const [wDim, channels] = l.weight.shape as [number, number];
    return { name: l.name, index, weight: Float32Array.from(l.weight.dataSync() as Float32Array), wDim, channels };
  });
}

export interface SefaResult {
  /** Unit directions [k, wDim], by eigenvalue descending. */
  directions: Float64Array;
  /** Eigenvalues of W Wᵀ, descending (length k). */
  values: Float64Array;
  k: number;
  wDim: number;
  /** The layers used. */
  layers: string[];
}

/** SeFa over given affine weights (each [wDim, C]). */
export function sefaFromWeights(affines: Array<Pick<StyleAffine, 'name' | 'weight' | 'wDim' | 'channels'>>, k: number): SefaResult {
  check(affines.length > 0, 'sefa', () => 'no layers selected');
  const d = affines[0]!.wDim;
  for (const a of affines) {
    check(a.wDim === d, 'sefa', () => `layer ${a.name} maps from ${a.wDim} dimensions, the first from ${d}`);
    check(a.weight.length === a.wDim * a.channels, 'sefa', () => `layer ${a.name}: ${a.weight.length} values for [${a.wDim}, ${a.channels}]`);
  }
  check(Number.isInteger(k) && k >= 1 && k <= d, 'sefa', () => `k must be an integer in [1, ${d}], got ${k}`);
  // Σ over unit columns c of c cᵀ.
  const gram = new Float64Array(d * d);
  const col = new Float64Array(d);
  for (const a of affines) {
    for (let j = 0; j < a.channels; j++) {
      let norm = 0;
      for (let i = 0; i < d; i++) {
        col[i] = a.weight[i * a.channels + j]!;
        norm += col[i]! * col[i]!;
      }
      norm = Math.sqrt(norm);
      if (norm === 0) continue;
      for (let i = 0; i < d; i++) col[i]! /= norm;
      for (let r = 0; r < d; r++) {
        const cr = col[r]!;
        for (let c = 0; c <= r; c++) gram[r * d + c]! += cr * col[c]!;
      }
    }
  }
  const { values, vectors } = symmetricEigen(gram, d, { vectors: true, inPlace: true });
  const order = Array.from(values.keys()).sort((a, b) => values[b]! - values[a]!);
  const directions = new Float64Array(k * d);
  const top = new Float64Array(k);
  for (let t = 0; t < k; t++) {
    const c = order[t]!;
    top[t] = values[c]!;
    for (let i = 0; i < d; i++) directions[t * d + i] = vectors![i * d + c]!;
    fixSign(directions.subarray(t * d, (t + 1) * d));
  }
  return { directions, values: top, k, wDim: d, layers: affines.map((a) => a.name) };
}

/** SeFa of a generator over ws indices [start, end) (default all). */
export function sefa(G: Generator, k: number, layers: { start: number; end: number } = { start: 0, end: G.numWs }): SefaResult {
  check(Number.isInteger(layers.start) && Number.isInteger(layers.end) && layers.start >= 0 && layers.end <= G.numWs && layers.start < layers.end, 'sefa', () => `layer range [${layers.start}, ${layers.end}) must lie in [0, ${G.numWs})`);
  return sefaFromWeights(styleAffines(G).slice(layers.start, layers.end), k);
}
