/** Loading the committed reference fixtures (libs/metrics/fixtures, made by make_fixtures.py). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeNpy } from '@dermagan/npy';
import { featureMatrix, type FeatureMatrix } from './features-matrix.ts';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

export interface ExpectedCase {
  dtype: 'float32' | 'float64';
  real: [number, number];
  fake: [number, number];
  fid: number;
  kid: { value: number; std: number; m: number; subsets: number };
  kidDefault: { value: number; std: number; m: number; subsets: number };
  precision: number;
  recall: number;
  density: number;
  coverage: number;
  alphaPrecision: number;
  betaRecall: number;
  authenticity: number;
  alphaPrecisionCurve: number[];
  betaRecallCurve: number[];
}

export interface Expected {
  cases: Record<string, ExpectedCase>;
  kid: { subsets: number; subsetSize: number; seed: number };
  pplFilter: { lo: number; hi: number; mean: number };
}

export const EXPECTED: Expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8'));

export function loadFeatures(file: string): FeatureMatrix {
  const a = decodeNpy(readFileSync(join(FIXTURES, file)), file);
  return featureMatrix(a.data as Float32Array | Float64Array, a.shape);
}

export function loadCase(name: string): { real: FeatureMatrix; fake: FeatureMatrix } {
  return { real: loadFeatures(`${name}.real.npy`), fake: loadFeatures(`${name}.fake.npy`) };
}

/** |a − b| ≤ rel · |b| (+ abs). */
export function close(a: number, b: number, rel: number, abs = 0): boolean {
  return Math.abs(a - b) <= rel * Math.abs(b) + abs;
}
