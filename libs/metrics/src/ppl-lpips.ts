/**
 * PPL as `dermagan ppl` and the metrics service report it: LPIPS-VGG16 distances (`ppl`, comparable
 * to published PPL) and, in the same pass over the same path samples, squared distances between
 * pixel vectors in [0, 1] (`ppl_pixels`, the stand-in of earlier versions; another scale).
 */
import type { Tf } from '@dermagan/tf';
import { DEFAULTS } from './defaults.ts';
import { createLpips } from './networks/lpips.ts';
import { filteredMean, perceptualPathLength, type ImageBatch, type PathGenerator, type PplOptions } from './ppl.ts';

export interface LpipsPplResult {
  ppl: number;
  ppl_pixels: number;
  /** What measured it: networks, samples, ε, sampling, the kept ranges. */
  provenance: {
    features: { ppl: { id: string; hash: string; input: string }; ppl_pixels: string };
    samples: number;
    epsilon: number;
    sampling: 'end' | 'full';
    space: 'w';
    crop: boolean;
    seed: number;
    kept: { ppl: [number, number]; ppl_pixels: [number, number] };
    dermaganVersion: string;
  };
}

/** ‖x₂ᵢ − x₂ᵢ₊₁‖² of pixel vectors scaled to [0, 1]: the pixel stand-in distance. */
export function pixelPairDistances(images: ImageBatch): Float64Array {
  const [n2, h, w, c] = images.shape;
  const per = h * w * c;
  const out = new Float64Array(n2 / 2);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let k = 0; k < per; k++) {
      const d = (images.data[2 * i * per + k]! - images.data[(2 * i + 1) * per + k]!) / 255;
      s += d * d;
    }
    out[i] = s;
  }
  return out;
}

/** `ppl` (LPIPS-VGG16) and `ppl_pixels` of a generator's W-space paths; `onSamples` is told the samples done. */
export async function lpipsPerceptualPathLength(tf: Tf, path: PathGenerator, options: PplOptions = {}, onSamples?: (done: number) => void): Promise<LpipsPplResult> {
  const lpips = await createLpips(tf);
  const pixel: number[] = [];
  let done = 0;
  const epsilon = options.epsilon ?? DEFAULTS.pplEpsilon;
  const eps2 = epsilon * epsilon;
  try {
    const result = await perceptualPathLength(
      path,
      {
        async pairDistances(images) {
          for (const d of pixelPairDistances(images)) pixel.push(d / eps2);
          const d = await lpips.consecutivePairs(images.data, images.shape);
          done += d.length;
          onSamples?.(done);
          return d;
        },
      },
      { ...options, epsilon },
    );
    const stand = filteredMean(pixel);
    return {
      ppl: result.value,
      ppl_pixels: stand.value,
      provenance: {
        features: { ppl: { id: lpips.id, hash: lpips.hash, input: 'generator output in [-1, 1], unclamped, no resize' }, ppl_pixels: 'pixels in [0, 1] (not comparable to published PPL values)' },
        samples: result.samples,
        epsilon: result.epsilon,
        sampling: result.sampling,
        space: 'w',
        crop: result.crop,
        seed: result.seed,
        kept: { ppl: [result.lo, result.hi], ppl_pixels: [stand.lo, stand.hi] },
        dermaganVersion: result.dermaganVersion,
      },
    };
  } finally {
    lpips.dispose();
  }
}
