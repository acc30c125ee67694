/**
 * Extractors backed by a tfjs model (graph model or layers model) loaded from a model URI:
 * `file:///dir/model.json` (or a plain path), `http(s)://…/model.json`; `s3://` once
 * @dermagan/store offers `storeFromUrl` (until then: download the model folder, pass file://).
 *
 * The model contract (what scripts/convert-inception.py produces): input float32 NHWC
 * [n, S, S, 3] with pixel values in [0, 255] (the model normalises itself), output [n, dim].
 * The extractor's hash is the sha256 of model.json followed by every weight file, in manifest order;
 * weight paths that leave model.json's folder are refused (readModelFiles in @dermagan/tf).
 */
import { ModelFileError, readModelFiles, type Tf } from '@dermagan/tf';
import type { FeatureExtractor } from '../features.ts';
import { INCEPTION_POOL3_ID } from '../keys.ts';
import { resizeImages, type ResizeMode } from '../resize.ts';

export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
  constructor(message: string, readonly retriable: boolean, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** What a model-backed extractor is. */
export interface ModelExtractorSpec {
  /** Feature-space id recorded with every score. */
  id: string;
  /** Network input side in pixels. */
  inputSize: number;
  /** Resize mode applied before the network. */
  resize: ResizeMode;
  /** Expected feature width (checked against the model's output). */
  dim: number;
}

/** Inception-v3, 2048-d pool3 (global average pool) features; FID's feature space. */
export const INCEPTION_V3_POOL3: ModelExtractorSpec = Object.freeze({ id: INCEPTION_POOL3_ID, inputSize: 299, resize: 'pil-bicubic', dim: 2048 });
/** VGG16, 4096-d fc2 features; NVlabs' precision/recall space. */
export const VGG16_FC2: ModelExtractorSpec = Object.freeze({ id: 'vgg16-fc2', inputSize: 224, resize: 'pil-bicubic', dim: 4096 });

/** Load a tfjs model and wrap it as an extractor. */
export async function modelExtractor(uri: string, spec: ModelExtractorSpec, tf: Tf): Promise<FeatureExtractor> {
  let files;
  try {
    files = await readModelFiles(uri);
  } catch (err) {
    if (err instanceof ModelFileError) throw new ModelLoadError(err.message, err.retriable, { cause: err });
    throw err;
  }
  const handler = tf.io.fromMemory(files.artifacts);
  const model = files.artifacts.format === 'graph-model' ? await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
  const digest = files.sha256;
  const { inputSize, resize, dim } = spec;
  return {
    id: spec.id,
    hash: digest,
    inputSize,
    resize,
    dim,
    async extract(pixels, n, size) {
      const resized = resizeImages(pixels, [n, size, size, 3], inputSize, resize);
      const out = tf.tidy(() => {
        const y = model.predict(tf.tensor4d(resized, [n, inputSize, inputSize, 3])) as ReturnType<Tf['tensor']>;
        return tf.reshape(y, [n, -1]);
      });
      const width = out.shape[1];
      const data = out.dataSync() as Float32Array;
      out.dispose();
      if (width !== dim) throw new ModelLoadError(`${uri}: model outputs ${width}-d features, but ${spec.id} is ${dim}-d`, false);
      return Float32Array.from(data);
    },
    dispose() {
      model.dispose();
    },
  };
}
