/**
 * Runs the augment pipe's fixture case 'all' (every transform) on the backend DERMAGAN_TF_BACKEND
 * selects and prints one JSON line: the output and the gradient of ⟨output, w⟩ with respect to
 * the images. augment.test.ts runs it on wasm (via runOnBackend) and compares with native TF.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { loadTf } from '@dermagan/tf';
import { decodeNpy } from '@dermagan/npy';
import { augmentWithParams, type AugmentSampleParams } from '../augment.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'augment');

/** The probe's computation, shared with the in-process side of the comparison. */
export function probeAugment(tf: Awaited<ReturnType<typeof loadTf>>['tf']): { output: number[]; grad: number[] } {
  const cases = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as Record<string, { input: string; params: AugmentSampleParams[] }>;
  const c = cases.all!;
  const a = decodeNpy(readFileSync(join(FIXTURES, c.input)));
  const x = tf.tensor4d(a.data as Float32Array, a.shape as [number, number, number, number]);
  const w = tf.sin(tf.reshape(tf.range(0, x.size, 1, 'float32'), x.shape));
  const output = augmentWithParams(tf, x, c.params);
  const grad = tf.grad((img) => tf.sum(tf.mul(augmentWithParams(tf, img as Tensor4D, c.params), w)))(x);
  return { output: Array.from(output.dataSync()), grad: Array.from(grad.dataSync()) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { tf, info } = await loadTf();
  process.stdout.write(JSON.stringify({ backend: info.name, ...probeAugment(tf) }) + '\n');
}
