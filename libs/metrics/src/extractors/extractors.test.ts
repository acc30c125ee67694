import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadTf } from '@dermagan/tf';
import { extractFeatures, extractFeaturesFrom, functionExtractor } from '../features.ts';
import { resizeImages } from '../resize.ts';
import { pixelProjectionExtractor } from './pixel-projection.ts';
import { createExtractor } from './registry.ts';
import { modelExtractor } from './tf-model.ts';

function images(n: number, size: number, seed: number): Uint8Array {
  return new Uint8Array(n * size * size * 3).map((_, i) => (i * 37 + seed * 11) % 256);
}

describe('pixels-rp64 (built in, no download)', () => {
  it('is deterministic, 64-d, and its hash names its parameters', async () => {
    const a = pixelProjectionExtractor();
    const b = pixelProjectionExtractor();
    expect([a.id, a.dim, a.inputSize, a.resize]).toEqual(['pixels-rp64', 64, 16, 'pil-bicubic']);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.hash).toBe(a.hash);
    expect(pixelProjectionExtractor({ seed: 1 }).hash).not.toBe(a.hash);
    const px = images(3, 32, 1);
    expect(await b.extract(px, 3, 32)).toEqual(await a.extract(px, 3, 32));
  });

  it('is linear in the resized pixels (a black image maps to 0)', async () => {
    const e = pixelProjectionExtractor({ dim: 8, inputSize: 4 });
    expect(Array.from(await e.extract(new Uint8Array(4 * 4 * 3), 1, 4))).toEqual(new Array(8).fill(0));
  });

  it('extractFeatures batches without changing the result', async () => {
    const e = pixelProjectionExtractor({ dim: 16, inputSize: 8 });
    const px = images(10, 12, 2);
    const one = await extractFeatures(e, px, 10, 12, { batch: 10 });
    const many = await extractFeatures(e, px, 10, 12, { batch: 3 });
    expect(many.data).toEqual(one.data);
    expect([many.rows, many.cols]).toEqual([10, 16]);
  });

  it('extractFeaturesFrom: images arriving in uneven pieces give the same features; a count that does not add up is an error', async () => {
    const e = pixelProjectionExtractor({ dim: 16, inputSize: 8 });
    const per = 12 * 12 * 3;
    const px = images(10, 12, 2);
    const whole = await extractFeatures(e, px, 10, 12);
    async function* pieces(cuts: number[]) {
      let at = 0;
      for (const c of cuts) {
        yield px.subarray(at * per, (at + c) * per);
        at += c;
      }
    }
    const progress: number[] = [];
    const streamed = await extractFeaturesFrom(e, pieces([3, 1, 6]), 10, 12, { batch: 4, onProgress: (done) => progress.push(done) });
    expect(streamed.data).toEqual(whole.data);
    expect(progress).toEqual([3, 4, 8, 10]);
    await expect(extractFeaturesFrom(e, pieces([3, 1]), 10, 12)).rejects.toThrow(/10 images announced, 4 arrived/);
    await expect(extractFeaturesFrom(e, pieces([6, 4]), 8, 12)).rejects.toThrow(/more than the 8 images announced/);
    await expect(extractFeaturesFrom(e, [px.subarray(0, per + 1)], 1, 12)).rejects.toThrow(/not whole 12×12×3 images/);
  });
});

describe('functionExtractor (how the classifier embedding plugs in)', () => {
  it('resizes with its mode, then calls the function', async () => {
    const seen: number[] = [];
    const e = functionExtractor({
      id: 'classifier-embedding', hash: 'h', inputSize: 4, resize: 'tf-bilinear', dim: 1,
      embed: (x, n) => {
        seen.push(x.length);
        return Float32Array.from({ length: n }, (_, i) => x[i * 48]!);
      },
    });
    const px = images(2, 8, 3);
    const f = await e.extract(px, 2, 8);
    expect(seen).toEqual([2 * 4 * 4 * 3]);
    expect(f[1]).toBe(resizeImages(px, [2, 8, 8, 3], 4, 'tf-bilinear')[48]);
  });
});

describe('model-backed extractors (tfjs model from a model URI)', () => {
  it('loads a saved model from file://, hashes model.json + weights, and returns its outputs on resized images', async () => {
    const { tf } = await loadTf();
    const dir = mkdtempSync(join(tmpdir(), 'dermagan-extractor-'));
    const model = tf.sequential({
      layers: [tf.layers.globalAveragePooling2d({ inputShape: [6, 6, 3] }), tf.layers.dense({ units: 5, kernelInitializer: 'glorotNormal' })],
    });
    await model.save(`file://${dir}`);
    const uri = pathToFileURL(join(dir, 'model.json')).toString();
    const e = await modelExtractor(uri, { id: 'test-net', inputSize: 6, resize: 'pil-bicubic', dim: 5 }, tf);
    const files = ['model.json', ...readdirSync(dir).filter((f) => f.endsWith('.bin')).sort()];
    const hash = createHash('sha256');
    for (const f of files) hash.update(readFileSync(join(dir, f)));
    expect(e.hash).toBe(hash.digest('hex'));
    const px = images(2, 10, 4);
    const got = await e.extract(px, 2, 10);
    const want = tf.tidy(() => (model.predict(tf.tensor4d(resizeImages(px, [2, 10, 10, 3], 6, 'pil-bicubic'), [2, 6, 6, 3])) as ReturnType<typeof tf.tensor>).dataSync());
    expect(Array.from(got)).toEqual(Array.from(want));
    e.dispose?.();
    model.dispose();
  });

  it('refuses a model.json whose weight path leaves its folder, before reading it', async () => {
    const { tf } = await loadTf();
    const dir = mkdtempSync(join(tmpdir(), 'dermagan-extractor-'));
    const model = tf.sequential({ layers: [tf.layers.globalAveragePooling2d({ inputShape: [6, 6, 3] }), tf.layers.dense({ units: 5 })] });
    await model.save(`file://${dir}`);
    model.dispose();
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const weights = json.weightsManifest[0].paths[0].replace(/^\.\//, '');
    renameSync(join(dir, weights), join(dir, '..', `${basename(dir)}.bin`));
    json.weightsManifest[0].paths = [`../${basename(dir)}.bin`];
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    await expect(modelExtractor(join(dir, 'model.json'), { id: 'x', inputSize: 6, resize: 'none', dim: 5 }, tf)).rejects.toThrow(/the path "\.\.\/.*\.bin" climbs out with "\.\."/);
    json.weightsManifest[0].paths = ['/etc/hostname'];
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    await expect(modelExtractor(pathToFileURL(join(dir, 'model.json')).toString(), { id: 'x', inputSize: 6, resize: 'none', dim: 5 }, tf)).rejects.toThrow(/is absolute/);
  });

  it('says what is wrong: a missing model, the wrong width, s3:// without the store, an unknown id', async () => {
    const { tf } = await loadTf();
    await expect(modelExtractor('/no/such/model.json', { id: 'x', inputSize: 4, resize: 'none', dim: 1 }, tf)).rejects.toThrow(/cannot read \/no\/such\/model.json: ENOENT/);
    await expect(modelExtractor('s3://bucket/model.json', { id: 'x', inputSize: 4, resize: 'none', dim: 1 }, tf)).rejects.toThrow(/s3:\/\/ model URIs need @dermagan\/store's storeFromUrl/);
    await expect(createExtractor('inception-v3-pool3')).rejects.toThrow(/needs its weights as a tfjs model: pass a model URI/);
    await expect(createExtractor('resnet')).rejects.toThrow(/unknown extractor "resnet"/);
    const dir = mkdtempSync(join(tmpdir(), 'dermagan-extractor-'));
    const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [2, 2, 3] })] });
    await model.save(`file://${dir}`);
    const e = await modelExtractor(join(dir, 'model.json'), { id: 'x', inputSize: 2, resize: 'none', dim: 5 }, tf);
    await expect(e.extract(new Uint8Array(12), 1, 2)).rejects.toThrow(/model outputs 12-d features, but x is 5-d/);
  });
});
