/**
 * Extractors backed by a tfjs model (graph model or layers model) loaded from a model URI:
 * `file:///dir/model.json` (or a plain path), `http(s)://…/model.json`; `s3://` once
 * @dermagan/store offers `storeFromUrl` (until then: download the model folder, pass file://).
 *
 * The model contract (what scripts/convert-inception.py produces): input float32 NHWC
 * [n, S, S, 3] with pixel values in [0, 255] (the model normalises itself), output [n, dim].
 * The extractor's hash is the sha256 of model.json followed by every weight file, in manifest order.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tf } from '@dermagan/tf';
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

async function readUri(uri: string): Promise<Buffer> {
  if (uri.startsWith('http://') || uri.startsWith('https://')) {
    let res: Response;
    try {
      res = await fetch(uri);
    } catch (err) {
      throw new ModelLoadError(`cannot fetch ${uri}: ${(err as Error).message}`, true, { cause: err });
    }
    if (!res.ok) throw new ModelLoadError(`cannot fetch ${uri}: HTTP ${res.status}`, res.status >= 500);
    return Buffer.from(await res.arrayBuffer());
  }
  if (uri.startsWith('s3://')) {
    throw new ModelLoadError(
      `s3:// model URIs need @dermagan/store's storeFromUrl, which this build does not have yet; ` +
        `copy the model folder locally and pass file:///path/to/model.json`,
      false,
    );
  }
  const path = uri.startsWith('file://') ? fileURLToPath(uri) : uri;
  try {
    return await readFile(path);
  } catch (err) {
    throw new ModelLoadError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, false, { cause: err });
  }
}

function sibling(uri: string, name: string): string {
  if (/^(https?|s3):\/\//.test(uri)) return new URL(name, uri).toString();
  const path = uri.startsWith('file://') ? fileURLToPath(uri) : uri;
  return join(dirname(path), name);
}

interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  modelTopology: unknown;
  weightsManifest: Array<{ paths: string[]; weights: unknown[] }>;
  signature?: unknown;
  userDefinedMetadata?: Record<string, unknown>;
  modelInitializer?: unknown;
}

/** Load a tfjs model and wrap it as an extractor. */
export async function modelExtractor(uri: string, spec: ModelExtractorSpec, tf: Tf): Promise<FeatureExtractor> {
  const jsonBytes = await readUri(uri);
  let json: ModelJson;
  try {
    json = JSON.parse(jsonBytes.toString('utf8'));
  } catch (err) {
    throw new ModelLoadError(`${uri} is not a tfjs model.json (${(err as Error).message})`, false, { cause: err });
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new ModelLoadError(`${uri} is not a tfjs model.json (needs modelTopology and weightsManifest)`, false);
  }
  const hash = createHash('sha256').update(jsonBytes);
  const shards: Buffer[] = [];
  const weightSpecs: unknown[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) {
      const bytes = await readUri(sibling(uri, p));
      hash.update(bytes);
      shards.push(bytes);
    }
  }
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const artifacts = {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    weightSpecs,
    weightData,
    signature: json.signature,
    userDefinedMetadata: json.userDefinedMetadata,
    modelInitializer: json.modelInitializer,
  } as unknown as Parameters<Tf['io']['fromMemory']>[0];
  const handler = tf.io.fromMemory(artifacts);
  const model = json.format === 'graph-model' ? await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
  const digest = hash.digest('hex');
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
