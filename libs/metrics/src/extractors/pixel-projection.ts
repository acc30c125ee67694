/**
 * `pixels-rp<dim>`: a feature space that needs no download, so the whole metrics pipeline runs
 * anywhere (tests, CI, a laptop without model weights). Images are resized (PIL bicubic) to
 * `inputSize`², scaled to [0, 1], and projected by a fixed Gaussian random matrix
 * (entries N(0, 1/D), D = inputSize²·3, drawn from mulberry32(seed)): a Johnson–Lindenstrauss
 * embedding of the pixels. It knows nothing of dermoscopy or objects — a sanity space, not a
 * perceptual one; its Fréchet distance is reported as `fd_pixels_rp<dim>`, never as FID.
 */
import { createHash } from 'node:crypto';
import type { FeatureExtractor } from '../features.ts';
import { createRng } from '../random.ts';
import { resizeImages } from '../resize.ts';

/** Options for {@link pixelProjectionExtractor}. */
export interface PixelProjectionOptions {
  /** Output width (default 64). */
  dim?: number;
  /** Resize target side in pixels (default 16). */
  inputSize?: number;
  /** Seed of the projection matrix (default 0). */
  seed?: number;
}

export function pixelProjectionExtractor(options: PixelProjectionOptions = {}): FeatureExtractor {
  const dim = options.dim ?? 64;
  const inputSize = options.inputSize ?? 16;
  const seed = options.seed ?? 0;
  const inputs = inputSize * inputSize * 3;
  const rng = createRng(seed);
  const projection = new Float64Array(inputs * dim);
  const scale = 1 / Math.sqrt(inputs);
  for (let i = 0; i < projection.length; i++) projection[i] = rng.normal() * scale;
  const hash = createHash('sha256')
    .update(`pixels-rp/v1 dim=${dim} size=${inputSize} seed=${seed}\n`)
    .update(Buffer.from(projection.buffer))
    .digest('hex');
  return {
    id: `pixels-rp${dim}`,
    hash,
    inputSize,
    resize: 'pil-bicubic',
    dim,
    async extract(pixels, n, size) {
      const x = resizeImages(pixels, [n, size, size, 3], inputSize, 'pil-bicubic');
      const out = new Float32Array(n * dim);
      const acc = new Float64Array(dim);
      for (let b = 0; b < n; b++) {
        acc.fill(0);
        const base = b * inputs;
        for (let i = 0; i < inputs; i++) {
          const v = x[base + i]! / 255;
          if (v === 0) continue;
          const row = i * dim;
          for (let j = 0; j < dim; j++) acc[j]! += v * projection[row + j]!;
        }
        for (let j = 0; j < dim; j++) out[b * dim + j] = acc[j]!;
      }
      return out;
    },
  };
}
