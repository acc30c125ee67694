/**
 * Sampling from a trained generator (G_ema), as NVlabs generate.py: per-image seeds (image i's
 * z and noise come from seed + i alone, so any image is reproducible by itself, whatever the
 * batch), truncation ψ with an optional cutoff, a noise mode, and uint8 output
 * clamp(x·127.5 + 128). Writes a dermagan dataset (source.kind 'generated') with the provenance.
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { DERMAGAN_VERSION } from '@dermagan/contracts';
import { DATASET_FOLDER, DatasetWriter, type DatasetManifest } from '@dermagan/dataset';
import { checkOutputFolder, createStagingFolder, replaceFolder } from '@dermagan/safe-io';
import { loadCheckpoint, type CheckpointSink } from './checkpoint.ts';
import type { NetworkConfig } from './config.ts';
import { Generator } from './generator.ts';
import { registerEngineGradients } from './ops/register-gradients.ts';
import { Rng } from './rng.ts';
import type { NoiseMode, NormalSource } from './synthesis.ts';
import type { Tensor2D, Tf } from './tf-types.ts';
import { oneHot } from './training-data.ts';

export interface GenerateOptions {
  /** Images per class (conditional) or in total (unconditional). */
  n: number;
  /** Classes to generate (conditional G; undefined = every class). */
  classes?: number[];
  /** Seed of image 0; image i uses seed + i (per class, seeds continue: class k starts at seed + k·n). */
  seed: number;
  /** Truncation ψ (1 = none; the study samples with 0.7). */
  truncation: number;
  /** Truncate only the first `cutoff` ws (undefined = all). */
  truncationCutoff?: number;
  /** Noise inputs (default 'const', as generate.py). */
  noiseMode?: NoiseMode;
  /** Images per forward pass (default 32). */
  batch?: number;
}

export class GenerateError extends Error {
  override readonly name = 'GenerateError';
  readonly retriable = false;
}

/** A trained generator and what it was trained on. */
export interface LoadedGenerator {
  G: Generator;
  /** Class names of the training data. */
  labelNames: string[];
  /** The one class an unconditional G was trained on (--class), or null (all classes / conditional). */
  trainedClass: number | null;
  /** Checkpoint metadata for provenance (counters, dataset fingerprint, options). */
  provenance: Record<string, unknown>;
}

/** Load G_ema from a training checkpoint. */
export async function loadGenerator(tf: Tf, sink: CheckpointSink): Promise<LoadedGenerator> {
  registerEngineGradients(tf);
  const { meta: m, arrays } = await loadCheckpoint(sink);
  const network: NetworkConfig = m.options.config.network;
  const G = new Generator(tf, network, 0);
  for (const [name, v] of G.ps.entries()) {
    const a = arrays.get(`G_ema/${name}`);
    if (!a || a.shape.join(',') !== v.shape.join(',')) throw new GenerateError(`${sink.location}: G_ema/${name} missing or of another shape`);
    v.assign(tf.tensor(a.data, a.shape, 'float32'));
  }
  const classes = m.dataset.classes ?? null;
  return {
    G,
    labelNames: m.dataset.labels,
    trainedClass: network.cDim === 0 && classes && classes.length === 1 ? classes[0]! : null,
    provenance: {
      checkpoint: sink.location,
      kimg: m.counters.kimg,
      step: m.counters.step,
      datasetFingerprint: m.dataset.fingerprint,
      network,
      trainedBy: m.dermaganVersion,
    },
  };
}

/** Draws per sample from each sample's own generator, so a batch equals its images made one by one. */
class PerSampleNormals implements NormalSource {
  constructor(private readonly rngs: Rng[]) {}
  normal(n: number, scale = 1): Float32Array {
    const k = this.rngs.length;
    if (n % k !== 0) throw new Error(`PerSampleNormals: ${n} draws do not split over ${k} samples`);
    const out = new Float32Array(n);
    this.rngs.forEach((r, i) => out.set(r.normal(n / k, scale), (i * n) / k));
    return out;
  }
}

export interface GeneratedImage {
  /** uint8 [R, R, C] pixels. */
  pixels: Uint8Array;
  seed: number;
  /** Class index (the conditioning class, or the class a one-class G was trained on; 0 = 'generated' when neither). */
  label: number;
}

/** Generate images in batches; `onBatch` receives them in order. */
export async function generateImages(tf: Tf, loaded: LoadedGenerator, options: GenerateOptions, onBatch: (images: GeneratedImage[]) => Promise<void> | void): Promise<void> {
  const { G } = loaded;
  const cfg = G.cfg;
  if (!Number.isInteger(options.n) || options.n <= 0) throw new GenerateError(`generate: n must be a positive integer, got ${options.n}`);
  if (!(options.truncation >= 0)) throw new GenerateError(`generate: truncation ψ must be ≥ 0, got ${options.truncation}`);
  const batch = options.batch ?? 32;
  const conditional = cfg.cDim > 0;
  const classes = conditional ? (options.classes ?? [...Array(cfg.cDim).keys()]) : [loaded.trainedClass ?? 0];
  if (!conditional && options.classes && options.classes.some((c) => c !== loaded.trainedClass)) {
    throw new GenerateError(
      `generate: this generator is unconditional` +
        (loaded.trainedClass === null ? '' : ` (trained on class ${loaded.trainedClass} only)`) +
        `; --class ${options.classes.join(',')} cannot be honoured. Omit --class, or use a conditional checkpoint (train --cond).`,
    );
  }
  for (const c of classes) {
    if (!Number.isInteger(c) || c < 0 || (conditional && c >= cfg.cDim)) throw new GenerateError(`generate: class ${c} is outside [0, ${cfg.cDim})`);
  }
  const jobs = classes.flatMap((label, k) => Array.from({ length: options.n }, (_, i) => ({ label, seed: options.seed + k * options.n + i })));
  for (let start = 0; start < jobs.length; start += batch) {
    const part = jobs.slice(start, start + batch);
    const rngs = part.map((j) => new Rng(j.seed));
    const data = tf.tidy(() => {
      const z = tf.tensor2d(
        (() => {
          const v = new Float32Array(part.length * cfg.zDim);
          rngs.forEach((r, i) => v.set(r.normal(cfg.zDim), i * cfg.zDim));
          return v;
        })(),
        [part.length, cfg.zDim],
      );
      const c = conditional ? oneHot(tf, Int32Array.from(part.map((j) => j.label)), cfg.cDim) : undefined;
      const img = G.apply(z, c as Tensor2D | undefined, {
        psi: options.truncation,
        ...(options.truncationCutoff !== undefined ? { cutoff: options.truncationCutoff } : {}),
        noiseMode: options.noiseMode ?? 'const',
        rng: new PerSampleNormals(rngs),
      });
      return tf.clipByValue(tf.add(tf.mul(img, 127.5), 128), 0, 255).floor().toInt();
    });
    const flat = data.dataSync() as Int32Array;
    data.dispose();
    const per = cfg.resolution * cfg.resolution * cfg.imgChannels;
    await onBatch(part.map((j, i) => ({ pixels: Uint8Array.from(flat.subarray(i * per, (i + 1) * per)), seed: j.seed, label: j.label })));
  }
}

export interface GenerateDatasetResult {
  manifest: DatasetManifest;
  images: number;
}

/**
 * Generate into a dermagan dataset folder with source.kind 'generated' and the generator's
 * provenance. `out` must be absent, empty or a previous dataset (and nothing else), which is then
 * replaced as a whole once every image is written; anything else is an OutputRefusedError.
 */
export async function generateDataset(tf: Tf, loaded: LoadedGenerator, options: GenerateOptions, out: string, backend: Record<string, unknown> = {}, onProgress?: (done: number, total: number) => void): Promise<GenerateDatasetResult> {
  const cfg = loaded.G.cfg;
  if (cfg.imgChannels !== 3) throw new GenerateError('generateDataset: datasets hold RGB images; this generator has ' + cfg.imgChannels + ' channels');
  await checkOutputFolder(out, DATASET_FOLDER);
  const staging = await createStagingFolder(out);
  try {
    const result = await generateInto(tf, loaded, options, staging, backend, onProgress);
    await replaceFolder(staging, out, DATASET_FOLDER);
    return result;
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

async function generateInto(tf: Tf, loaded: LoadedGenerator, options: GenerateOptions, dir: string, backend: Record<string, unknown>, onProgress?: (done: number, total: number) => void): Promise<GenerateDatasetResult> {
  const cfg = loaded.G.cfg;
  const writer = await DatasetWriter.create({ dir, size: cfg.resolution });
  const total = options.n * (cfg.cDim > 0 ? (options.classes ?? [...Array(cfg.cDim).keys()]).length : 1);
  let done = 0;
  await generateImages(tf, loaded, options, async (images) => {
    for (const im of images) {
      const id = `seed${String(im.seed).padStart(6, '0')}`;
      const sha256 = createHash('sha256').update(im.pixels).digest('hex');
      await writer.append(im.pixels, { id, patient: id, label: im.label, sha256 });
    }
    done += images.length;
    onProgress?.(done, total);
  });
  // A conditional G or a one-class G keeps the training labels; a G of all classes mixed has none.
  const mixed = cfg.cDim === 0 && loaded.trainedClass === null;
  const labels = mixed || loaded.labelNames.length === 0 ? ['generated'] : loaded.labelNames;
  const manifest = await writer.finish({
    name: `generated-${options.seed}`,
    labels,
    source: {
      kind: 'generated',
      generator: {
        ...loaded.provenance,
        seeds: { first: options.seed, perImage: 'seed + index' },
        n: options.n,
        classes: options.classes ?? null,
        truncation: options.truncation,
        truncationCutoff: options.truncationCutoff ?? null,
        noiseMode: options.noiseMode ?? 'const',
        backend,
        dermaganVersion: DERMAGAN_VERSION,
      },
    },
    split: { kind: 'none' },
    tenants: null,
  });
  return { manifest, images: done };
}
