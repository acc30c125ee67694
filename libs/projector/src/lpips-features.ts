/**
 * The reference projector's distance: LPIPS-VGG16 taps (@dermagan/metrics, converted lpips-vgg16
 * weights) made into NVlabs' `return_lpips` features — each unit-normalised tap times √(its linear
 * head) / √(h·w) — so that Σ(f_a − f_b)² over the taps is the LPIPS distance. Images in [0, 255]
 * go to the network as x/127.5 − 1, without resizing (the projector downsamples to 256 itself).
 */
import { buildLpipsVgg16, LPIPS_TAPS, LPIPS_VGG16_ID } from '@dermagan/metrics';
import { loadPretrained } from '@dermagan/pretrained';
import type { Tensor1D, Tensor4D } from '@tensorflow/tfjs-core';
import type { Tf } from '@dermagan/tf';
import type { PerceptualFeatures } from './perceptual.ts';

export interface LpipsFeaturesOptions {
  /** Cache root holding the converted weights (default: the dermagan cache). */
  cache?: string;
}

export async function lpipsFeatures(tf: Tf, options: LpipsFeaturesOptions = {}): Promise<PerceptualFeatures> {
  const weights = await loadPretrained(LPIPS_VGG16_ID, options.cache ? { cache: options.cache } : {});
  const net = buildLpipsVgg16(tf, weights);
  const sqrtHeads = LPIPS_TAPS.map((_, l) => tf.sqrt(tf.tensor1d(weights.float32(`NetLinLayer_${l}/Conv_0/kernel`).data)) as Tensor1D);
  return {
    id: LPIPS_VGG16_ID,
    hash: weights.sha256,
    taps(images: Tensor4D) {
      return tf.tidy(() =>
        net.vgg16Features(tf.sub(tf.div(images, 127.5), 1) as Tensor4D).map((f, l) => {
          const [, h, w] = f.shape;
          return tf.mul(f, tf.div(sqrtHeads[l]!, Math.sqrt(h * w)));
        }),
      );
    },
    dispose() {
      net.dispose();
      tf.dispose(sqrtHeads);
    },
  };
}
