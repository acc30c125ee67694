/**
 * Feature extractors: images (uint8 NHWC, RGB) → one feature row per image. Every extractor has an
 * id (which names the space a score lives in: FID only for `inception-v3-pool3`), a hash of what
 * fixes its output (weights, or the generator's parameters), its input size and its resize mode —
 * all recorded in each result's provenance (torch-fidelity `feature_extractor_base.py`).
 */
import { MetricInputError, type FeatureMatrix } from './features-matrix.ts';
import { resizeImages, type ResizeMode } from './resize.ts';

export interface FeatureExtractor {
  /** Names the feature space, e.g. `inception-v3-pool3`, `vgg16-fc2`, `pixels-rp64`, `classifier-embedding`. */
  readonly id: string;
  /** sha256 (hex) of whatever fixes the output: model bytes, or generation parameters. */
  readonly hash: string;
  /** Side (pixels) images are resized to before the network. */
  readonly inputSize: number;
  /** How they are resized (resize.ts). */
  readonly resize: ResizeMode;
  /** The named preprocessing of the paper's feature networks (`sg2ada`, `clean`, `tf-legacy`), when one applies. */
  readonly preprocessing?: string;
  /** Feature width. */
  readonly dim: number;
  /** Features of `n` images, uint8 NHWC [n, size, size, 3] → Float32Array [n, dim]. */
  extract(pixels: Uint8Array, n: number, size: number): Promise<Float32Array>;
  /** Release native memory (tf models). */
  dispose?(): void;
}

/** Options for {@link extractFeatures}. */
export interface ExtractOptions {
  /** Images per `extract` call (default 64, NVlabs' batch). */
  batch?: number;
  /** Called after each batch with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** Run an extractor over a whole image set in batches. */
export async function extractFeatures(extractor: FeatureExtractor, pixels: Uint8Array, n: number, size: number, options: ExtractOptions = {}): Promise<FeatureMatrix> {
  const per = size * size * 3;
  if (pixels.length !== n * per) throw new MetricInputError(`extractFeatures: ${n} images of ${size}×${size}×3 need ${n * per} bytes, got ${pixels.length}`);
  return extractFeaturesFrom(extractor, [pixels], n, size, options);
}

/**
 * Run an extractor over `n` images that arrive in pieces (e.g. a dataset's imageChunks): only the
 * features are kept, so the memory of a pass is the feature matrix plus one piece, whatever n is.
 * Pieces may be of any size; each is cut into batches of `options.batch`.
 */
export async function extractFeaturesFrom(
  extractor: FeatureExtractor,
  pieces: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  n: number,
  size: number,
  options: ExtractOptions = {},
): Promise<FeatureMatrix> {
  const per = size * size * 3;
  const batch = options.batch ?? 64;
  const out = new Float32Array(n * extractor.dim);
  let done = 0;
  for await (const piece of pieces) {
    if (piece.length % per !== 0) throw new MetricInputError(`extractFeatures: a piece of ${piece.length} bytes is not whole ${size}×${size}×3 images`);
    const m = piece.length / per;
    if (done + m > n) throw new MetricInputError(`extractFeatures: more than the ${n} images announced`);
    for (let start = 0; start < m; start += batch) {
      const count = Math.min(batch, m - start);
      const f = await extractor.extract(piece.subarray(start * per, (start + count) * per), count, size);
      if (f.length !== count * extractor.dim) {
        throw new MetricInputError(`extractFeatures: extractor ${extractor.id} returned ${f.length} values for ${count} images, expected ${count * extractor.dim}`);
      }
      out.set(f, (done + start) * extractor.dim);
      options.onProgress?.(done + start + count, n);
    }
    done += m;
  }
  if (done !== n) throw new MetricInputError(`extractFeatures: ${n} images announced, ${done} arrived`);
  return { data: out, rows: n, cols: extractor.dim };
}

/** The parts of an extractor made from a plain function (e.g. the classifier's embedding). */
export interface FunctionExtractorSpec {
  id: string;
  hash: string;
  inputSize: number;
  resize: ResizeMode;
  dim: number;
  /** Features for images already resized: float32 NHWC [n, inputSize, inputSize, 3] in [0, 255]. */
  embed(images: Float32Array, n: number): Promise<Float32Array> | Float32Array;
}

/** Wrap a feature function (the domain classifier's embedding, a test network) as an extractor. */
export function functionExtractor(spec: FunctionExtractorSpec): FeatureExtractor {
  return {
    id: spec.id,
    hash: spec.hash,
    inputSize: spec.inputSize,
    resize: spec.resize,
    dim: spec.dim,
    async extract(pixels, n, size) {
      const resized = resizeImages(pixels, [n, size, size, 3], spec.inputSize, spec.resize);
      return spec.embed(resized, n);
    },
  };
}
