/**
 * Extractors by id, for the CLI and the metrics service: `inception-2015` (the FID graph, weights
 * provisioned by `npm run setup`, no URI; the default), `efficientnet-lite2` (the classifier's
 * ImageNet backbone, pooled 1280-d features; provisioned likewise), `pixels-rp64` (built in, no download),
 * `inception-v3-pool3` and `vgg16-fc2` (a tfjs model a user brings, from `modelUri`). Other spaces
 * (the domain classifier's embedding) are passed in as {@link FeatureExtractor}s directly
 * (features.ts `functionExtractor`).
 */
import { MetricInputError } from '../features-matrix.ts';
import type { FeatureExtractor } from '../features.ts';
import { INCEPTION_2015_ID } from '../keys.ts';
import type { Preprocessing } from '../networks/preprocess.ts';
import type { Tf } from '@dermagan/tf';
import { EFFICIENTNET_LITE2_ID, efficientNetLite2Extractor } from './efficientnet-lite2.ts';
import { inception2015Extractor } from './inception-2015.ts';
import { INCEPTION_V3_POOL3, modelExtractor, VGG16_FC2 } from './tf-model.ts';
import { pixelProjectionExtractor } from './pixel-projection.ts';

export const EXTRACTOR_IDS = [INCEPTION_2015_ID, EFFICIENTNET_LITE2_ID, 'pixels-rp64', INCEPTION_V3_POOL3.id, VGG16_FC2.id] as const;
/** What `dermagan metrics` uses on dataset folders unless told otherwise. */
export const DEFAULT_EXTRACTOR = INCEPTION_2015_ID;

/** Options for {@link createExtractor}. */
export interface CreateExtractorOptions {
  /** Model URI (model.json) for the model-backed extractors. */
  modelUri?: string;
  /** Preprocessing for `inception-2015` (default `sg2ada`). */
  preprocessing?: Preprocessing;
  /** The tfjs instance the network-backed extractors run on (a service's wiring gives it; default: loadTf()). */
  tf?: Tf;
}

/** The given tfjs instance, or the process's backend (CLI and scripts). */
async function tfOf(options: CreateExtractorOptions): Promise<Tf> {
  if (options.tf) return options.tf;
  const { loadTf } = await import('@dermagan/tf');
  return (await loadTf()).tf;
}

export async function createExtractor(id: string, options: CreateExtractorOptions = {}): Promise<FeatureExtractor> {
  if (id === 'pixels-rp64') return pixelProjectionExtractor({ dim: 64 });
  if (id === INCEPTION_2015_ID) {
    return inception2015Extractor(await tfOf(options), options.preprocessing ? { preprocessing: options.preprocessing } : {});
  }
  if (id === EFFICIENTNET_LITE2_ID) return efficientNetLite2Extractor(await tfOf(options));
  const spec = id === INCEPTION_V3_POOL3.id ? INCEPTION_V3_POOL3 : id === VGG16_FC2.id ? VGG16_FC2 : undefined;
  if (!spec) throw new MetricInputError(`unknown extractor "${id}"; known: ${EXTRACTOR_IDS.join(', ')}`);
  if (!options.modelUri) {
    throw new MetricInputError(
      `extractor ${id} needs its weights as a tfjs model: pass a model URI (file://…/model.json, https://…, s3://…); ` +
        `scripts/convert-inception.py converts Keras weights where they can be had`,
    );
  }
  return modelExtractor(options.modelUri, spec, await tfOf(options));
}
