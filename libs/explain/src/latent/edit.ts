/**
 * Edits along a direction: ws[:, layers] += d · n for a range of d (REFERENCE §6.3:
 * w = mapping(z) truncated with ψ 0.7 on the first 8 layers, d ∈ linspace(−3, 3, …)), and the
 * strip of images it makes.
 */
import type { Generator } from '@dermagan/gan';
import type { Tf } from '@dermagan/tf';
import { check } from '../errors.ts';
import { renderWs } from './generator-ops.ts';

export interface LayerRange {
  /** First ws index edited. */
  start: number;
  /** One past the last. */
  end: number;
}

/** Copies of `ws` [numWs, wDim] edited by each step: [steps, numWs, wDim]. */
export function editWs(ws: Float32Array, numWs: number, direction: ArrayLike<number>, steps: readonly number[], layers: LayerRange): Float32Array {
  const d = direction.length;
  check(ws.length === numWs * d, 'editWs', () => `ws must be ${numWs}×${d}, got ${ws.length} values`);
  check(layers.start >= 0 && layers.end <= numWs && layers.start < layers.end, 'editWs', () => `layer range [${layers.start}, ${layers.end}) outside [0, ${numWs})`);
  const out = new Float32Array(steps.length * numWs * d);
  steps.forEach((step, s) => {
    out.set(ws, s * numWs * d);
    for (let l = layers.start; l < layers.end; l++) for (let j = 0; j < d; j++) out[(s * numWs + l) * d + j]! += step * direction[j]!;
  });
  return out;
}

/** n evenly spaced values from a to b, both included. */
export function linspace(a: number, b: number, n: number): number[] {
  return n === 1 ? [a] : Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

/** Images of one ws edited along a direction: uint8 [steps, R, R, C]. */
export function editStrip(tf: Tf, G: Generator, ws: Float32Array, direction: ArrayLike<number>, steps: readonly number[], layers: LayerRange): Uint8Array {
  return renderWs(tf, G, editWs(ws, G.numWs, direction, steps, layers), steps.length);
}
