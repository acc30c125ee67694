/**
 * The reals a training run sees: an ingested dataset (`@dermagan/dataset`, uint8 NHWC) at the
 * training resolution, kept as uint8 in memory, with its labels and fingerprint. Batches are
 * drawn with the trainer's RNG and converted to x/127.5 − 1 on the way in.
 *
 * When the dataset's size differs from the resolution it is resized once at load (area average
 * when downscaling by an integer factor, then bilinear for any remainder), and the provenance says so.
 */
import { createHash } from 'node:crypto';
import { openDataset } from '@dermagan/dataset';
import type { Rng } from './rng.ts';
import type { Tensor2D, Tensor4D, Tf } from './tf-types.ts';

export interface TrainingData {
  /** uint8 pixels [count, resolution, resolution, 3], NHWC. */
  pixels: Uint8Array;
  /** Class index per image (into `labelNames`). */
  labels: Int32Array;
  count: number;
  resolution: number;
  /** Class names of the dataset (the conditional G's c_dim is their count). */
  labelNames: string[];
  /** Dataset fingerprint (manifest), or a hash of the arrays for in-memory data. */
  fingerprint: string;
  /** Where the reals came from and how they were prepared. */
  provenance: Record<string, unknown>;
}

export interface LoadDataOptions {
  /** Training resolution (the dataset is resized to it when its size differs). */
  resolution: number;
  /** Keep only these classes (ben-GAN / mal-GAN); undefined = all. */
  classes?: number[];
  /** Keep only these splits (default: 'train' and 'all', never 'test'). */
  split?: Array<'train' | 'test' | 'all'>;
  /** Keep only this federation tenant's images. */
  tenant?: string;
}

export class TrainingDataError extends Error {
  override readonly name = 'TrainingDataError';
  readonly retriable = false;
}

export async function loadTrainingData(tf: Tf, dir: string, options: LoadDataOptions): Promise<TrainingData> {
  const split = options.split ?? ['train', 'all'];
  const ds = await openDataset(dir, {
    split,
    ...(options.classes ? { labels: options.classes } : {}),
    ...(options.tenant ? { tenant: options.tenant } : {}),
  });
  const count = ds.entries.length;
  if (count === 0) {
    throw new TrainingDataError(
      `${dir}: no images left after selecting split ${JSON.stringify(split)}` +
        (options.classes ? ` and classes ${JSON.stringify(options.classes)}` : '') +
        (options.tenant ? ` and tenant ${options.tenant} (the dataset's tenants: ${ds.manifest.tenants?.map((t) => t.name).join(', ') ?? 'none'})` : '') +
        `; check --class against the dataset's labels ${JSON.stringify(ds.manifest.labels)}`,
    );
  }
  let pixels = ds.pixels;
  const provenance: Record<string, unknown> = {
    dataset: dir,
    name: ds.manifest.name,
    split,
    classes: options.classes ?? null,
    tenant: options.tenant ?? null,
    images: count,
    size: ds.manifest.size,
  };
  if (ds.manifest.size !== options.resolution) {
    pixels = resizeImages(tf, pixels, count, ds.manifest.size, options.resolution);
    provenance.resized = { from: ds.manifest.size, to: options.resolution, method: resizeMethod(ds.manifest.size, options.resolution) };
  }
  return {
    pixels,
    labels: ds.labels,
    count,
    resolution: options.resolution,
    labelNames: ds.manifest.labels,
    fingerprint: ds.manifest.fingerprint,
    provenance,
  };
}

function resizeMethod(from: number, to: number): string {
  if (from > to) return from % to === 0 ? 'area' : `area×${Math.floor(from / to)} + bilinear`;
  return 'bilinear';
}

/** Resize uint8 NHWC images [n, from, from, 3] → [n, to, to, 3] (chunked to bound memory). */
export function resizeImages(tf: Tf, pixels: Uint8Array, n: number, from: number, to: number): Uint8Array {
  const out = new Uint8Array(n * to * to * 3);
  const chunk = 64;
  for (let start = 0; start < n; start += chunk) {
    const m = Math.min(chunk, n - start);
    const data = tf.tidy(() => {
      let x = tf.tensor4d(pixels.subarray(start * from * from * 3, (start + m) * from * from * 3), [m, from, from, 3], 'int32').toFloat();
      if (from > to) {
        const factor = Math.floor(from / to);
        if (factor > 1) x = tf.avgPool(x, factor, factor, 'valid');
      }
      if (x.shape[1] !== to) x = tf.image.resizeBilinear(x, [to, to], false, true);
      return tf.clipByValue(tf.round(x), 0, 255).toInt();
    });
    out.set(data.dataSync() as Int32Array, start * to * to * 3);
    data.dispose();
  }
  return out;
}

/** A minibatch of reals drawn uniformly (with replacement) by `rng`, optionally x-flipped at random. */
export function sampleRealBatch(
  tf: Tf,
  data: TrainingData,
  rng: Rng,
  batch: number,
  options: { mirror: boolean; cDim: number },
): { img: Tensor4D; c: Tensor2D | undefined } {
  const r = data.resolution;
  const per = r * r * 3;
  const values = new Float32Array(batch * per);
  const labels = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const i = rng.int(0, data.count);
    const flip = options.mirror && rng.uniform() < 0.5;
    labels[b] = data.labels[i]!;
    const src = data.pixels.subarray(i * per, (i + 1) * per);
    const dst = b * per;
    if (!flip) {
      for (let k = 0; k < per; k++) values[dst + k] = src[k]! / 127.5 - 1;
    } else {
      for (let y = 0; y < r; y++) {
        for (let x = 0; x < r; x++) {
          const s = (y * r + (r - 1 - x)) * 3;
          const d = dst + (y * r + x) * 3;
          values[d] = src[s]! / 127.5 - 1;
          values[d + 1] = src[s + 1]! / 127.5 - 1;
          values[d + 2] = src[s + 2]! / 127.5 - 1;
        }
      }
    }
  }
  const img = tf.tensor4d(values, [batch, r, r, 3]);
  return { img, c: options.cDim > 0 ? oneHot(tf, labels, options.cDim) : undefined };
}

/** Labels of `batch` random dataset images: the fake class prior follows the data (reference). */
export function sampleLabels(data: TrainingData, rng: Rng, batch: number): Int32Array {
  const out = new Int32Array(batch);
  for (let b = 0; b < batch; b++) out[b] = data.labels[rng.int(0, data.count)]!;
  return out;
}

export function oneHot(tf: Tf, labels: Int32Array, cDim: number): Tensor2D {
  const v = new Float32Array(labels.length * cDim);
  labels.forEach((l, i) => {
    if (l < 0 || l >= cDim) throw new TrainingDataError(`oneHot: label ${l} outside [0, ${cDim})`);
    v[i * cDim + l] = 1;
  });
  return tf.tensor2d(v, [labels.length, cDim]);
}

/** Training data from arrays already at the training resolution (tests, federated clients). */
export function inMemoryData(pixels: Uint8Array, labels: Int32Array, resolution: number, labelNames: string[]): TrainingData {
  const count = labels.length;
  if (pixels.length !== count * resolution * resolution * 3) {
    throw new TrainingDataError(`inMemoryData: ${pixels.length} bytes for ${count} images of ${resolution}²×3`);
  }
  const fingerprint = createHash('sha256').update(pixels).update(new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength)).digest('hex');
  return { pixels, labels, count, resolution, labelNames, fingerprint, provenance: { dataset: 'memory', images: count } };
}
