import { mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTf } from '@dermagan/tf';
import { describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../checkpoint.ts';
import { B2_FEATURES, buildEfficientNetB2, roundFilters, roundRepeats } from './efficientnet-b2.ts';
import { loadPretrainedWeights } from './pretrained.ts';
import { seededDropoutClass } from './seeded-dropout.ts';
import { buildSmallCnn } from './small-cnn.ts';

const { tf } = await loadTf();
type Tensor = import('@tensorflow/tfjs').Tensor;

describe('EfficientNet-B2', () => {
  it('scales B0 by width 1.1 / depth 1.2: stage widths, repeats and the 1408 features', () => {
    expect([32, 16, 24, 40, 80, 112, 192, 320].map((f) => roundFilters(f))).toEqual([32, 16, 24, 48, 88, 120, 208, 352]);
    expect([1, 2, 2, 3, 3, 4, 1].map((r) => roundRepeats(r))).toEqual([2, 3, 3, 4, 4, 5, 2]);
    expect(B2_FEATURES).toBe(1408);
  });

  it('has exactly the parameters of Keras EfficientNetB2 (include_top=False: 7,768,569 incl. 7 of its Normalization layer) plus the 1408→500→1 head', () => {
    const m = buildEfficientNetB2(tf, { size: 32, seed: 1 });
    const head = m.getLayer('embedding').countParams() + m.getLayer('logit').countParams();
    expect(head).toBe(1408 * 500 + 500 + 500 + 1);
    expect(m.countParams() - head).toBe(7_768_569 - 7);
    // Keras layer names, so converted ImageNet weights load by name.
    for (const name of ['stem_conv', 'block1b_dwconv', 'block2a_expand_conv', 'block6e_se_reduce', 'block7b_project_bn', 'top_conv', 'top_bn']) {
      expect(() => m.getLayer(name)).not.toThrow();
    }
    expect(m.getLayer('embedding').outputShape).toEqual([null, 500]);
    expect(m.outputs[0]!.shape).toEqual([null, 1]);
    m.dispose();
  });

  it('x=[2,32,32,3] gives one logit per image, and the same seed builds the same weights', () => {
    const a = buildEfficientNetB2(tf, { size: 32, seed: 7 });
    const b = buildEfficientNetB2(tf, { size: 32, seed: 7 });
    const y = a.predict(tf.ones([2, 32, 32, 3])) as Tensor;
    expect(y.shape).toEqual([2, 1]);
    const wa = a.getLayer('block3b_dwconv').getWeights()[0]!.dataSync();
    const wb = b.getLayer('block3b_dwconv').getWeights()[0]!.dataSync();
    expect(Array.from(wa)).toEqual(Array.from(wb));
    tf.dispose([a, b, y] as never);
  });

  it('throws for an input too small for five stride-2 stages', () => {
    expect(() => buildEfficientNetB2(tf, { size: 16, seed: 1 })).toThrow(/size must be an integer >= 32/);
  });
});

describe('small CNN', () => {
  it('x=[3,16,16,3] → [3,1]; embedding is the 64-unit penultimate layer', () => {
    const m = buildSmallCnn(tf, { size: 16, seed: 1 });
    const y = m.predict(tf.zeros([3, 16, 16, 3])) as Tensor;
    expect(y.shape).toEqual([3, 1]);
    expect(m.getLayer('embedding').outputShape).toEqual([null, 64]);
  });
  it('throws when the size cannot take four pooling stages', () => {
    expect(() => buildSmallCnn(tf, { size: 8, seed: 1 })).toThrow(/size must be an integer >= 16/);
  });
});

describe('seeded dropout', () => {
  const Dropout = seededDropoutClass(tf);
  it('is the identity outside training', () => {
    const layer = new Dropout({ rate: 0.5, seed: 3 });
    const x = tf.ones([4, 8]);
    expect(Array.from((layer.apply(x) as Tensor).dataSync())).toEqual(Array.from(x.dataSync()));
  });
  it('draws a mask that is a function of (seed, step): same step same mask, next step another', () => {
    const layer = new Dropout({ rate: 0.5, seed: 3 });
    const x = tf.ones([4, 32]);
    const at = (step: number) => {
      layer.step = step;
      return Array.from((layer.apply(x, { training: true }) as Tensor).dataSync());
    };
    expect(at(5)).toEqual(at(5));
    expect(at(5)).not.toEqual(at(6));
    expect(new Set(at(5))).toEqual(new Set([0, 2])); // kept units are scaled by 1/(1 − rate)
  });
  it('perSample drops whole samples (stochastic depth)', () => {
    const layer = new Dropout({ rate: 0.5, seed: 9, perSample: true });
    const y = (layer.apply(tf.ones([16, 2, 2, 3]), { training: true }) as Tensor).reshape([16, 12]).arraySync() as number[][];
    for (const row of y) expect(new Set(row).size).toBe(1);
  });
});

describe('pretrained weights by name', () => {
  it('loads every weight of a saved model except the skipped head, from a file:// URI', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'classifier-weights-'));
    const source = buildSmallCnn(tf, { size: 16, seed: 1 });
    await saveModel(source, dir);
    const target = buildSmallCnn(tf, { size: 16, seed: 2 });
    const before = target.getLayer('logit').getWeights()[0]!.dataSync().slice();
    const report = await loadPretrainedWeights(tf, target, `file://${dir}/model.json`, { skipLayers: ['logit'] });
    expect(report.loaded).toBe(source.weights.length - 2);
    expect(report.unused).toEqual(['logit/bias', 'logit/kernel']);
    expect(Array.from(target.getLayer('conv2').getWeights()[0]!.dataSync())).toEqual(Array.from(source.getLayer('conv2').getWeights()[0]!.dataSync()));
    expect(Array.from(target.getLayer('logit').getWeights()[0]!.dataSync())).toEqual(Array.from(before));
  });
  it('loads from an http:// URI (a loopback server)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'classifier-weights-'));
    const source = buildSmallCnn(tf, { size: 16, seed: 1 });
    await saveModel(source, dir);
    const server = createServer((req, res) => {
      readFile(join(dir, req.url!.slice(1))).then(
        (body) => res.end(body),
        () => res.writeHead(404).end(),
      );
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const { port } = server.address() as AddressInfo;
      const target = buildSmallCnn(tf, { size: 16, seed: 3 });
      const report = await loadPretrainedWeights(tf, target, `http://127.0.0.1:${port}/model.json`);
      expect(report.loaded).toBe(source.weights.length);
      expect(Array.from(target.getLayer('logit').getWeights()[0]!.dataSync())).toEqual(Array.from(source.getLayer('logit').getWeights()[0]!.dataSync()));
    } finally {
      server.close();
    }
  });

  it('refuses a model.json whose weight path leaves its folder (file:// and http://), and so does loadModel, before reading it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'classifier-weights-'));
    const dir = join(root, 'm');
    await saveModel(buildSmallCnn(tf, { size: 16, seed: 1 }), dir);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    await rename(join(dir, json.weightsManifest[0].paths[0]), join(root, 'secret.bin'));
    json.weightsManifest[0].paths = ['../secret.bin'];
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    const target = buildSmallCnn(tf, { size: 16, seed: 2 });
    await expect(loadPretrainedWeights(tf, target, `file://${dir}/model.json`)).rejects.toThrow(/the path "\.\.\/secret\.bin" climbs out with "\.\."/);
    await expect(loadModel(tf, dir)).rejects.toThrow(/the path "\.\.\/secret\.bin" climbs out with "\.\."/);
    const asked: string[] = [];
    const server = createServer((req, res) => {
      asked.push(req.url!);
      readFile(join(root, req.url!)).then((body) => res.end(body), () => ((res.statusCode = 404), res.end()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      await expect(loadPretrainedWeights(tf, target, `http://127.0.0.1:${port}/m/model.json`)).rejects.toThrow(/climbs out/);
      expect(asked.filter((u) => !u.startsWith('/m/'))).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('throws when the weights are for another architecture, and for s3:// until the store reads it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'classifier-weights-'));
    await saveModel(buildSmallCnn(tf, { size: 16, seed: 1, embeddingUnits: 32 }), dir);
    await expect(loadPretrainedWeights(tf, buildSmallCnn(tf, { size: 16, seed: 1 }), `file://${dir}/model.json`)).rejects.toThrow(/embedding\/kernel has shape \[128,32\]/);
    await expect(loadPretrainedWeights(tf, buildSmallCnn(tf, { size: 16, seed: 1 }), 's3://bucket/b2/model.json')).rejects.toThrow(/s3:\/\/ weight URIs are not supported yet/);
  });
});
