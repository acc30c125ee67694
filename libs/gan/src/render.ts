/**
 * Rendering for people rather than datasets: a few images from G_ema by seed, with truncation and
 * moves along W-space directions (SeFa / GANSpace / hyperplanes, the latent explorer's sliders),
 * tiled into one PNG. Image i's z comes from seed i exactly as in generateImages, so the explorer
 * at amount 0 and ψ = the generation's ψ shows the very image the generator service made.
 *
 * `CheckpointRenderer` is what both the generator service's HTTP API and the portal's in-process
 * renderer run: it keeps the last few generators loaded and renders one request at a time.
 */
import { gridPng } from '@dermagan/dataset';
import type { FolderRef, RenderRequest } from '@dermagan/contracts';
import { FolderCheckpointSink } from './checkpoint.ts';
import { GenerateError, loadGenerator, type LoadedGenerator } from './generate.ts';
import { Rng } from './rng.ts';
import type { Tensor2D, Tensor3D, Tf } from './tf-types.ts';
import { oneHot } from './training-data.ts';

export interface RenderSpec {
  seeds: number[];
  truncation: number;
  classIndex: number | null;
  /** ws[:, start:end] += amount · direction (LatentDirections' layer ranges); no layers = every ws. */
  edits: Array<{ direction: number[]; amount: number; layers?: { start: number; end: number } | undefined }>;
}

/** uint8 NHWC pixels of one image per seed. */
export function renderImages(tf: Tf, loaded: LoadedGenerator, spec: RenderSpec): { pixels: Uint8Array; size: number } {
  const { G } = loaded;
  const cfg = G.cfg;
  if (cfg.imgChannels !== 3) throw new GenerateError(`render: RGB generators only; this one has ${cfg.imgChannels} channels`);
  const numWs = G.numWs;
  for (const e of spec.edits) {
    if (e.direction.length !== cfg.wDim) throw new GenerateError(`render: a direction has ${e.direction.length} numbers; this generator's w has ${cfg.wDim}`);
    if (e.layers && !(e.layers.start < e.layers.end && e.layers.end <= numWs)) throw new GenerateError(`render: layers [${e.layers.start}, ${e.layers.end}) are outside this generator's ${numWs} ws`);
  }
  const conditional = cfg.cDim > 0;
  const c = spec.classIndex ?? 0;
  if (conditional && c >= cfg.cDim) throw new GenerateError(`render: class ${c} is outside the generator's ${cfg.cDim} classes`);
  const n = spec.seeds.length;
  const data = tf.tidy(() => {
    const zs = new Float32Array(n * cfg.zDim);
    spec.seeds.forEach((seed, i) => zs.set(new Rng(seed).normal(cfg.zDim), i * cfg.zDim));
    const z = tf.tensor2d(zs, [n, cfg.zDim]);
    const cond = conditional ? oneHot(tf, Int32Array.from({ length: n }, () => c), cfg.cDim) : undefined;
    let ws = G.mapping.apply(z, cond as Tensor2D | undefined, { psi: spec.truncation }) as Tensor3D;
    if (spec.edits.length > 0) {
      const delta = new Float32Array(numWs * cfg.wDim);
      for (const e of spec.edits) {
        const { start, end } = e.layers ?? { start: 0, end: numWs };
        for (let l = start; l < end; l++) e.direction.forEach((v, k) => (delta[l * cfg.wDim + k]! += e.amount * v));
      }
      ws = tf.add(ws, tf.tensor3d(delta, [1, numWs, cfg.wDim])) as Tensor3D;
    }
    const img = G.synthesis.apply(ws, { noiseMode: 'const' });
    return tf.clipByValue(tf.add(tf.mul(img, 127.5), 128), 0, 255).floor().toInt();
  });
  const pixels = Uint8Array.from(data.dataSync() as Int32Array);
  data.dispose();
  return { pixels, size: cfg.resolution };
}

export interface CheckpointRendererOptions {
  tf: Tf;
  /** The local folder of a checkpoint (e.g. FolderCache.fetch). */
  fetchCheckpoint: (ref: FolderRef) => Promise<string>;
  /** Generators kept loaded (default 2). */
  keep?: number;
}

export class CheckpointRenderer {
  private readonly loaded = new Map<string, Promise<LoadedGenerator>>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: CheckpointRendererOptions) {}

  /** The request's images as one PNG grid. Requests run one after another (one CPU-bound model at a time). */
  render(request: RenderRequest): Promise<Buffer> {
    const run = this.queue.then(async () => {
      const loaded = await this.generator(request.checkpoint);
      const { pixels, size } = renderImages(this.options.tf, loaded, request);
      return gridPng(pixels, size, request.seeds.length, request.columns ?? Math.min(8, request.seeds.length), request.scale);
    });
    this.queue = run.catch(() => {});
    return run;
  }

  private generator(ref: FolderRef): Promise<LoadedGenerator> {
    const key = ref.manifest.sha256;
    let entry = this.loaded.get(key);
    if (!entry) {
      entry = this.options.fetchCheckpoint(ref).then((dir) => loadGenerator(this.options.tf, new FolderCheckpointSink(dir)));
      entry.catch(() => this.loaded.delete(key));
      this.loaded.set(key, entry);
      const keep = this.options.keep ?? 2;
      for (const [k, old] of this.loaded) {
        if (this.loaded.size <= keep) break;
        this.loaded.delete(k);
        void old.then((g) => g.G.ps.dispose(), () => {});
      }
    } else {
      // Most recently used last.
      this.loaded.delete(key);
      this.loaded.set(key, entry);
    }
    return entry;
  }

  dispose(): void {
    for (const entry of this.loaded.values()) void entry.then((g) => g.G.ps.dispose(), () => {});
    this.loaded.clear();
  }
}
