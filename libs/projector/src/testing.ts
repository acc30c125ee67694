/**
 * Test helpers: a tiny generator whose images stay inside [−1, 1] (so a uint8 target is
 * reachable), targets generated from known latents, and a generator that memorised its images.
 */
import { Adam, DEFAULT_AUGMENT, Generator, inMemoryData, preset, Rng, Trainer, type CheckpointSink } from '@dermagan/gan';
import { DatasetWriter, loadImages, readManifest } from '@dermagan/dataset';
import type { Scalar, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import type { Tf } from '@dermagan/tf';
import type { ProjectionTarget } from './batch.ts';

/** The 'test' preset at `res`, toRGB weights scaled down, every noise strength set to `noiseStrength`. */
export function tinyGenerator(tf: Tf, res: number, seed: number, noiseStrength: number): Generator {
  const G = new Generator(tf, preset('test', res).network, seed);
  for (const [name, v] of G.ps.params) {
    if (name.endsWith('noise_strength')) v.assign(tf.scalar(noiseStrength));
    if (name.endsWith('torgb.weight')) v.assign(tf.mul(v, 0.15));
  }
  return G;
}

/** n targets made from w* = mapping(z) (const noise), and those w*, [n·wDim]. */
export function knownLatentTargets(tf: Tf, G: Generator, n: number, seed: number): { targets: ProjectionTarget[]; wStar: Float32Array } {
  const { zDim, wDim, resolution: r } = G.cfg;
  const rng = new Rng(seed);
  const [u8, wStar] = tf.tidy(() => {
    const z = tf.tensor2d(rng.normal(n * zDim), [n, zDim]);
    const ws = G.mapping.apply(z, undefined) as Tensor3D;
    const images = G.synthesis.apply(ws, { noiseMode: 'const' });
    return [tf.floor(tf.clipByValue(tf.add(tf.mul(images, 127.5), 128), 0, 255)).dataSync() as Float32Array, tf.slice(ws, [0, 0, 0], [n, 1, wDim]).dataSync() as Float32Array];
  });
  const per = r * r * 3;
  const targets = Array.from({ length: n }, (_, i) => ({ id: `w*${i}`, label: null, pixels: Uint8Array.from(u8.subarray(i * per, (i + 1) * per)) }));
  return { targets, wStar };
}

/**
 * A generator that memorised `members` (uint8 [k·r·r·3]): a conditional StyleGAN2 at the 'test'
 * preset (more channels: base 512, max 32; mapping at full learning rate) whose class j is member j
 * (`member-j`), fitted by regression from random z until every sample of class j is a copy of
 * member j. The worst case a privacy audit must catch: each sample is a training image, and each
 * training image is what its class's w_avg renders. Saved as an engine checkpoint through `sink`.
 */
export async function memorisingGenerator(tf: Tf, members: Uint8Array, res: number, sink: CheckpointSink, options: { steps?: number; seed?: number } = {}): Promise<string[]> {
  const k = members.length / (res * res * 3);
  const labelNames = Array.from({ length: k }, (_, j) => `member-${j}`);
  const data = inMemoryData(members, Int32Array.from({ length: k }, (_, j) => j), res, labelNames);
  const base = preset('test', res);
  const config = { ...base, network: { ...base.network, cDim: k, mappingLrMul: 1, channelBase: 512, channelMax: 32 } };
  const trainer = new Trainer(tf, data, { config, seed: options.seed ?? 0, augment: { ...DEFAULT_AUGMENT, pipe: 'noaug' }, mirror: false });
  try {
    const G = trainer.G;
    const batch = 2 * k;
    const rng = new Rng((options.seed ?? 0) + 1);
    const classes = Int32Array.from({ length: batch }, (_, i) => i % k);
    const [c, targets] = tf.tidy(() => [
      tf.oneHot(tf.tensor1d(classes, 'int32'), k).toFloat() as Tensor2D,
      tf.gather(tf.sub(tf.div(tf.tensor4d(Float32Array.from(members), [k, res, res, 3]), 127.5), 1), tf.tensor1d(classes, 'int32')),
    ]);
    const adam = new Adam(tf, G.ps, { lr: 0.03, betas: [0.9, 0.99], eps: 1e-8 });
    const vars = [...G.ps.params.values()];
    const names = [...G.ps.params.keys()];
    for (let step = 0; step < (options.steps ?? 400); step++) {
      const z = tf.tensor2d(rng.normal(batch * G.cfg.zDim), [batch, G.cfg.zDim]);
      const { value, grads } = tf.variableGrads(() => tf.tidy(() => tf.mean(tf.square(tf.sub(G.apply(z, c, { noiseMode: 'random', rng }), targets))) as Scalar), vars);
      adam.apply(new Map(names.map((n, i) => [n, grads[vars[i]!.name]!])));
      tf.dispose([z, value, ...Object.values(grads)]);
    }
    tf.dispose([c, targets]);
    adam.dispose();
    trainer.Gema.ps.copyFrom(G.ps);
    await trainer.save(sink);
    return labelNames;
  } finally {
    trainer.dispose();
  }
}

/**
 * Images of a dataset copied into a new dataset folder whose labels are `labelNames`, image i
 * getting class i mod (number of labels): the members (and outsiders) of a memorising generator.
 */
export async function relabelledDataset(source: string, ids: readonly string[], labelNames: string[], out: string): Promise<void> {
  const manifest = await readManifest(source);
  const byId = new Map(manifest.images.map((e) => [e.id, e]));
  const entries = ids.map((id) => byId.get(id)!);
  const { pixels } = await loadImages(source, manifest, entries);
  const per = manifest.size * manifest.size * 3;
  const writer = await DatasetWriter.create({ dir: out, size: manifest.size });
  for (const [i, e] of entries.entries()) {
    await writer.append(pixels.subarray(i * per, (i + 1) * per), { id: e.id, patient: e.patient, label: i % labelNames.length, sha256: e.sha256, split: e.split });
  }
  await writer.finish({ name: `${manifest.name}-relabelled`, labels: labelNames, source: manifest.source, split: manifest.split, tenants: null });
}
