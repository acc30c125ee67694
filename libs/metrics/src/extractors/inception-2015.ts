/**
 * `inception-2015`: FID / KID features (pool3, 2048-d) of the 2015-12-05 Inception graph, from
 * the weights `npm run setup` provisions (no URI), after a named preprocessing (networks/preprocess.ts,
 * default `sg2ada`). The extractor hash is the converted weights' sha256.
 */
import { loadPretrained } from '@dermagan/pretrained';
import type { Tf } from '@dermagan/tf';
import type { FeatureExtractor } from '../features.ts';
import { INCEPTION_2015_ID } from '../keys.ts';
import { buildInception2015, INCEPTION_INPUT_SIZE, INCEPTION_POOL3_DIM } from '../networks/inception-2015.ts';
import { DEFAULT_PREPROCESSING, PREPROCESSING_RESIZE, preprocessImages, type Preprocessing } from '../networks/preprocess.ts';

export interface Inception2015Options {
  /** Preprocessing before the network (default `sg2ada`). */
  preprocessing?: Preprocessing;
  /** Images per network call (default 16: bounds the activations to ~1 GB at 299²). */
  batch?: number;
  /** Cache root holding the converted weights (default: the dermagan cache). */
  cache?: string;
}

export async function inception2015Extractor(tf: Tf, options: Inception2015Options = {}): Promise<FeatureExtractor> {
  const preprocessing = options.preprocessing ?? DEFAULT_PREPROCESSING;
  const batch = options.batch ?? 16;
  const weights = await loadPretrained(INCEPTION_2015_ID, options.cache ? { cache: options.cache } : {});
  const net = buildInception2015(tf, weights);
  return {
    id: INCEPTION_2015_ID,
    hash: weights.sha256,
    inputSize: INCEPTION_INPUT_SIZE,
    resize: PREPROCESSING_RESIZE[preprocessing],
    preprocessing,
    dim: INCEPTION_POOL3_DIM,
    async extract(pixels, n, size) {
      const out = new Float32Array(n * INCEPTION_POOL3_DIM);
      const per = size * size * 3;
      for (let start = 0; start < n; start += batch) {
        const count = Math.min(batch, n - start);
        const x = preprocessImages(tf, pixels.subarray(start * per, (start + count) * per), count, size, preprocessing, INCEPTION_INPUT_SIZE);
        const f = net.pool3(x);
        x.dispose();
        out.set(await f.data(), start * INCEPTION_POOL3_DIM);
        f.dispose();
      }
      return out;
    },
    dispose() {
      net.dispose();
    },
  };
}
