/**
 * `efficientnet-lite2`: the ImageNet-pretrained EfficientNet-Lite2 backbone's pooled features
 * (1280-d, before any task head) at 224², the classifier's pretrained backbone as a feature space
 * of its own: no training, so scores in it compare across runs. Weights provisioned by
 * `npm run setup` (@dermagan/pretrained); the extractor hash is their sha256. Images are resized
 * with PIL's antialiased bicubic (`pil-bicubic`), then normalised as Lite2 was trained.
 */
import { buildEfficientNetLite2, LITE2_DEFAULT_INPUT, LITE2_FEATURES, LITE2_NORMALIZATION, LITE2_WEIGHTS_ID, loadLite2ImageNet } from '@dermagan/classifier';
import { loadPretrained } from '@dermagan/pretrained';
import type { Tf } from '@dermagan/tf';
import { functionExtractor, type FeatureExtractor } from '../features.ts';

export const EFFICIENTNET_LITE2_ID = LITE2_WEIGHTS_ID;

export interface EfficientNetLite2ExtractorOptions {
  /** Images per network call (default 32). */
  batch?: number;
  /** Cache root holding the converted weights (default: the dermagan cache). */
  cache?: string;
}

export async function efficientNetLite2Extractor(tf: Tf, options: EfficientNetLite2ExtractorOptions = {}): Promise<FeatureExtractor> {
  const batch = options.batch ?? 32;
  const size = LITE2_DEFAULT_INPUT;
  const weights = await loadPretrained(LITE2_WEIGHTS_ID, options.cache ? { cache: options.cache } : {});
  const net = buildEfficientNetLite2(tf, { size, seed: 0, head: 'features' });
  loadLite2ImageNet(tf, net, weights);
  // [0, 255] → (x/255 − mean) / std per channel, as one scale and shift.
  const scale = LITE2_NORMALIZATION.std.map((s) => 1 / (255 * s));
  const shift = LITE2_NORMALIZATION.mean.map((m, c) => -m / LITE2_NORMALIZATION.std[c]!);
  const extractor = functionExtractor({
    id: EFFICIENTNET_LITE2_ID,
    hash: weights.sha256,
    inputSize: size,
    resize: 'pil-bicubic',
    dim: LITE2_FEATURES,
    async embed(images, n) {
      const out = new Float32Array(n * LITE2_FEATURES);
      const per = size * size * 3;
      for (let start = 0; start < n; start += batch) {
        const count = Math.min(batch, n - start);
        const f = tf.tidy(() => {
          const x = tf.tensor4d(images.subarray(start * per, (start + count) * per), [count, size, size, 3]);
          return net.predict(tf.add(tf.mul(x, tf.tensor1d(scale)), tf.tensor1d(shift))) as import('@tensorflow/tfjs').Tensor;
        });
        out.set(await f.data(), start * LITE2_FEATURES);
        f.dispose();
      }
      return out;
    },
  });
  return { ...extractor, dispose: () => net.dispose() };
}
