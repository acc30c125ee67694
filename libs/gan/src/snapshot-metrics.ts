/**
 * Metrics evaluated at every network snapshot (NVlabs training_loop: "Evaluate metrics." after
 * "Save network snapshot."): G_ema of the snapshot just saved generates `n` images (ψ = 1, seeds
 * 0…n−1, classes balanced for a conditional G) and a scorer turns them into one number, e.g.
 * `fid5k` (@dermagan/metrics `createSnapshotFid`: real statistics cached, only fakes extracted).
 * The scorer is an interface so this library needs no feature network.
 */
import type { CheckpointSink } from './checkpoint.ts';
import { generateImages, loadGenerator } from './generate.ts';
import type { Tf } from './tf-types.ts';

export interface SnapshotScorer {
  /** Result key, e.g. `fid5k`. */
  readonly name: string;
  /** Images to generate per snapshot. */
  readonly n: number;
  /** uint8 NHWC images [n, size, size, 3] → the score and what it was made with. */
  score(pixels: Uint8Array, n: number, size: number): Promise<{ value: number; provenance: Record<string, unknown> }>;
  /** Release what it holds (a feature network) when training ends. */
  dispose?(): void;
}

export interface SnapshotScore {
  name: string;
  value: number;
  kimg: number;
  tick: number;
  provenance: Record<string, unknown>;
}

/** `fid5k` → 5000, `fid50k` → 50 000, `fid500` → 500; anything else is not a snapshot FID name. */
export function parseFidMetric(name: string): number | undefined {
  const m = /^fid(\d+)(k?)$/.exec(name);
  if (!m) return undefined;
  const n = Number(m[1]) * (m[2] ? 1000 : 1);
  return n >= 2 ? n : undefined;
}

/** Generate the snapshot's images and score them. */
export async function scoreSnapshot(tf: Tf, sink: CheckpointSink, scorer: SnapshotScorer, at: { kimg: number; tick: number }): Promise<SnapshotScore> {
  const loaded = await loadGenerator(tf, sink);
  const cfg = loaded.G.cfg;
  const perClass = cfg.cDim > 0 ? Math.ceil(scorer.n / cfg.cDim) : scorer.n;
  const size = cfg.resolution;
  const per = size * size * cfg.imgChannels;
  const pixels = new Uint8Array(scorer.n * per);
  let i = 0;
  try {
    await generateImages(tf, loaded, { n: perClass, seed: 0, truncation: 1 }, (images) => {
      for (const image of images) if (i < scorer.n) pixels.set(image.pixels, per * i++);
    });
  } finally {
    loaded.G.ps.dispose();
  }
  const { value, provenance } = await scorer.score(pixels, scorer.n, size);
  return { name: scorer.name, value, kimg: at.kimg, tick: at.tick, provenance: { ...provenance, generation: { n: scorer.n, seeds: [0, perClass - 1], truncation: 1, classes: cfg.cDim > 0 ? 'balanced' : 'one' } } };
}
