import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeBlobDataset } from '../testing/blobs.ts';
import { classCounts } from './images.ts';
import { loadScenario } from './scenarios.ts';

let root: string;
const at = (name: string) => join(root, name);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'classifier-scenarios-'));
  // real: 12 patients per class × 2 images, 3 per class in test.
  await writeBlobDataset({ dir: at('real'), size: 8, patientsPerClass: 12, seed: 1, prefix: 'r' });
  await writeBlobDataset({ dir: at('real-all'), size: 8, patientsPerClass: 6, seed: 2, testFraction: 0, prefix: 'ra' });
  await writeBlobDataset({ dir: at('synth'), size: 8, patientsPerClass: 20, imagesPerPatient: 1, seed: 3, testFraction: 0, kind: 'generated', prefix: 's' });
  await writeBlobDataset({ dir: at('synth-16'), size: 16, patientsPerClass: 4, seed: 4, testFraction: 0, kind: 'generated', prefix: 's16' });
  await writeBlobDataset({ dir: at('one-class'), size: 8, patientsPerClass: 6, seed: 5, classes: [0], prefix: 'o' });
  await writeBlobDataset({ dir: at('one-label'), size: 8, patientsPerClass: 6, seed: 6, classes: [0], labels: ['lesion'], prefix: 'l' });
  await writeBlobDataset({ dir: at('synth-other-names'), size: 8, patientsPerClass: 3, seed: 7, testFraction: 0, labels: ['nevus', 'melanoma'], kind: 'generated', prefix: 'n' });
});

const base = { validationFraction: 0.2, seed: 2022 };

describe('loadScenario', () => {
  it('real: test = the test split; validation carved by patient from the training split; no image in two sets', async () => {
    const d = await loadScenario({ ...base, scenario: 'real', real: at('real') });
    expect(d.test.ids).toHaveLength(12);
    expect(d.train.ids.length + d.validation.ids.length).toBe(36);
    const seen = new Set<string>();
    for (const id of [...d.train.ids, ...d.validation.ids, ...d.test.ids]) {
      expect(seen.has(id)).toBe(false);
      seen.add(id);
    }
    const trainPatients = new Set(d.train.patients);
    expect(d.validation.patients.some((p) => trainPatients.has(p))).toBe(false);
    expect(d.test.ids.every((id) => id.startsWith('r-') && d.test.origins.every((o) => o === 'real'))).toBe(true);
    expect(d.validationSource).toBe('real-train');
    expect(d.labels).toEqual(['benign', 'malignant']);
  });

  it('real+synth --synth-ratio 0.5 adds half as many synthetic images as real training images', async () => {
    const d = await loadScenario({ ...base, scenario: 'real+synth', real: at('real'), synthetic: at('synth'), synthRatio: 0.5 });
    const real = d.train.origins.filter((o) => o === 'real').length;
    expect(d.train.origins.filter((o) => o === 'synthetic').length).toBe(Math.round(0.5 * real));
    expect(d.test.origins.every((o) => o === 'real')).toBe(true);
    expect(d.validation.origins.every((o) => o === 'real')).toBe(true);
  });

  it("real+synth --synth-per-class 0,7 is the paper's '+N malignant': exactly 7 synthetic positives", async () => {
    const d = await loadScenario({ ...base, scenario: 'real+synth', real: at('real'), synthetic: at('synth'), synthPerClass: [0, 7] });
    const synthetic = d.train.origins.map((o, i) => (o === 'synthetic' ? d.train.labels[i]! : -1)).filter((l) => l >= 0);
    expect(synthetic).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });

  it('synth: trains on synthetic images only, validates on real training images, tests on the real test split', async () => {
    const d = await loadScenario({ ...base, scenario: 'synth', real: at('real'), synthetic: at('synth') });
    expect(d.train.origins.every((o) => o === 'synthetic')).toBe(true);
    expect(d.train.ids).toHaveLength(40);
    expect(d.validationSource).toBe('real-train');
    expect(d.test.ids).toHaveLength(12);
  });

  it('synth over a real dataset ingested with --split none: test = all real images, validation from the synthetic set', async () => {
    const d = await loadScenario({ ...base, scenario: 'synth', real: at('real-all'), synthetic: at('synth') });
    expect(d.test.ids).toHaveLength(24);
    expect(d.validationSource).toBe('synthetic');
    expect(d.train.ids.length + d.validation.ids.length).toBe(40);
    expect(classCounts(d.validation.labels).every((c) => c > 0)).toBe(true);
  });

  it('is a function of the seed (validation split and synthetic draw)', async () => {
    const o = { scenario: 'real+synth' as const, real: at('real'), synthetic: at('synth'), synthRatio: 0.5 };
    const a = await loadScenario({ ...base, ...o });
    const b = await loadScenario({ ...base, ...o });
    const c = await loadScenario({ ...o, validationFraction: 0.2, seed: 7 });
    expect(b.train.ids).toEqual(a.train.ids);
    expect(c.train.ids).not.toEqual(a.train.ids);
  });

  describe('bad input', () => {
    it.each([
      ['an empty class', { scenario: 'real', real: 'one-class' }, /has 0 malignant image|a class is empty/],
      ['a dataset without two labels', { scenario: 'real', real: 'one-label' }, /has 1 label\(s\) \(lesion\); the melanoma classifier needs exactly two/],
      ['real scenario on a dataset without a training split', { scenario: 'real', real: 'real-all' }, /no training split .* re-ingest with a patient-grouped split/],
      ['synth without --synth', { scenario: 'synth', real: 'real' }, /needs a synthetic dataset \(--synth DIR\)/],
      ['a synthetic set of another size', { scenario: 'synth', real: 'real', synthetic: 'synth-16' }, /holds 16x16 images but .* holds 8x8/],
      ['synthetic class names the real set lacks', { scenario: 'synth', real: 'real', synthetic: 'synth-other-names' }, /label\(s\) nevus, melanoma that/],
      ['more synthetic images than there are', { scenario: 'real+synth', real: 'real', synthetic: 'synth', synthPerClass: [0, 99] }, /has 20 malignant image\(s\), 99 requested/],
      ['a folder that is not a dataset', { scenario: 'real', real: 'missing' }, /is not a dermagan dataset/],
    ] as const)('throws for %s', async (_, o, message) => {
      const options = {
        ...base,
        scenario: o.scenario,
        real: at(o.real),
        ...('synthetic' in o ? { synthetic: at(o.synthetic) } : {}),
        ...('synthPerClass' in o ? { synthPerClass: [...o.synthPerClass] as [number, number] } : {}),
      };
      await expect(loadScenario(options)).rejects.toThrow(message);
    });
  });
});
