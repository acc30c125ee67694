import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Tensor4D } from '@tensorflow/tfjs-core';
import { loadTf, type Tf } from '@dermagan/tf';
import { decodeNpy } from '@dermagan/npy';
import {
  AugmentOptionsError,
  IDENTITY_PARAMS,
  augmentWithParams,
  createAugmentPipe,
  identityParams,
  type AugmentSampleParams,
} from './augment.ts';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'augment');
interface FixtureCase {
  input: string;
  output: string;
  params: AugmentSampleParams[];
}
const CASES = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as Record<string, FixtureCase>;

let tf: Tf;
beforeAll(async () => {
  ({ tf } = await loadTf());
});

function npyTensor(file: string): Tensor4D {
  const a = decodeNpy(readFileSync(join(FIXTURES, file)), file);
  return tf.tensor4d(a.data as Float32Array, a.shape as [number, number, number, number]);
}

function maxAbsDiff(a: Tensor4D, b: Tensor4D): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe('augmentWithParams against the numpy reference (libs/gan/fixtures/make_augment.py)', () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: ${c.input} → ${c.output} within 1e-5`, () => {
      const x = npyTensor(c.input);
      const want = npyTensor(c.output);
      const got = augmentWithParams(tf, x, c.params, { alwaysExecute: true });
      expect(got.shape).toEqual(x.shape);
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
      tf.dispose([x, want, got]);
    });
  }
});
