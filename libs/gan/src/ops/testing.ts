/**
 * For the op tests (one file per op, run on native TensorFlow by the `unit` project and on wasm by
 * `unit-wasm`, as tfjs runs its op tests on every backend): the PyTorch reference fixtures
 * (libs/gan/fixtures/make_ops.py → ops.json, NCHW with torch weight layouts) and their conversion
 * to the engine's NHWC and [k,k,in,out] layouts. Not exported from index.ts.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { loadTf, type BackendInfo } from '@dermagan/tf';
import type { Tensor, Tensor4D, Tf } from '../tf-types.ts';

export interface Arr {
  shape: number[];
  data: number[];
}
export interface OpCase {
  x: Arr;
  y: Arr;
  w: Arr;
  s: Arr;
  b: Arr;
  noise?: Arr;
  up: 1 | 2;
  demodulate: boolean;
  gain: number;
  clamp: number;
  group: number;
}
const fixtures = JSON.parse(readFileSync(new URL('../../fixtures/ops.json', import.meta.url), 'utf8')) as Record<string, OpCase>;

/** A reference case by name. */
export function opCase(name: string): OpCase {
  const c = fixtures[name];
  if (!c) throw new Error(`ops.json has no case ${name}`);
  return c;
}

/** The backend this process runs the op tests on (DERMAGAN_TF_BACKEND: native by default, wasm in the unit-wasm project). */
export async function opBackend(): Promise<{ tf: Tf; info: BackendInfo }> {
  return loadTf();
}

/** NCHW fixture → NHWC tensor. */
export const nhwc = (tf: Tf, a: Arr) => tf.transpose(tf.tensor(a.data, a.shape, 'float32'), [0, 2, 3, 1]) as unknown as Tensor4D;
/** torch [out,in,kh,kw] → [kh,kw,in,out]. */
export const hwio = (tf: Tf, a: Arr) => tf.transpose(tf.tensor(a.data, a.shape, 'float32'), [2, 3, 1, 0]) as unknown as Tensor4D;
/** NHWC → NCHW (to compare with a fixture). */
export const toNCHW = (tf: Tf, t: Tensor) => tf.transpose(t, [0, 3, 1, 2]);

/** Same shape, and every value within `tol` relative to 1 + |expected|. */
export function expectClose(actual: Tensor, expected: Arr, tol = 1e-4): void {
  expect(actual.shape).toEqual(expected.shape);
  const got = actual.dataSync();
  let worst = 0;
  expected.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(got[i]! - v) / (1 + Math.abs(v)))));
  expect(worst).toBeLessThan(tol);
}
