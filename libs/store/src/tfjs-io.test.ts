import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTf, type Tf } from '@dermagan/tf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError } from './errors.ts';
import { LocalStore } from './local-store.ts';
import { storeIOHandler } from './tfjs-io.ts';

let tf: Tf;
let root: string;
let store: LocalStore;
beforeAll(async () => {
  ({ tf } = await loadTf());
  root = await mkdtemp(join(tmpdir(), 'dermagan-tfjs-io-'));
  store = new LocalStore({ root });
  await store.ensureBucket('runs');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function tinyModel(seed: number) {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [4], units: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
  model.add(tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }), biasInitializer: 'ones' }));
  return model;
}

describe('storeIOHandler', () => {
  it('saves model.json + weights.bin and loads a model that predicts identically', async () => {
    const model = tinyModel(1);
    const handler = storeIOHandler(store, 'runs', 'run-1/model');
    const result = await model.save(handler);
    expect(result.modelArtifactsInfo.weightDataBytes).toBe((4 * 3 + 3 + 3 * 2 + 2) * 4);
    expect(await store.list('runs', 'run-1/')).toEqual(['run-1/model/model.json', 'run-1/model/weights.bin']);
    expect(handler.saved?.weights.size).toBe(result.modelArtifactsInfo.weightDataBytes);

    const loaded = await tf.loadLayersModel(storeIOHandler(store, 'runs', 'run-1/model/'));
    const x = tf.tensor2d([[0.5, -1, 2, 0.25], [1, 1, 1, 1]]);
    const expected = (model.predict(x) as ReturnType<typeof tf.tensor>).arraySync();
    expect((loaded.predict(x) as ReturnType<typeof tf.tensor>).arraySync()).toEqual(expected);
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(['Dense', 'Dense']);
  });

  it('refuses weights.bin from another save instead of loading mismatched weights', async () => {
    await tinyModel(1).save(storeIOHandler(store, 'runs', 'run-2'));
    await tinyModel(7).save(storeIOHandler(store, 'runs', 'run-3'));
    // As if a save of run-3's weights into run-2 stopped before its model.json was written.
    await store.put('runs', 'run-2/weights.bin', await store.getBytes('runs', 'run-3/weights.bin'));
    const err = await tf.loadLayersModel(storeIOHandler(store, 'runs', 'run-2')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as Error).message).toContain('not the ones model.json was saved with');
  });
});
