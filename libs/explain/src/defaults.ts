/**
 * Every explanation option in one place, with the reference's values where it had one.
 */
import type { TrainOptions } from '@dermagan/classifier';
import type { ExplainPart, ProjectionOptions } from '@dermagan/contracts';
import { INCEPTION_2015_ID } from '@dermagan/metrics';
import { DEFAULT_XRAI, type XraiOptions } from './attribution/xrai.ts';
import { ExplainInputError } from './errors.ts';
import { DEFAULT_EDGE_CASES, type EdgeCaseOptions } from './edge-cases.ts';
import { DEFAULT_TSNE, type TsneOptions } from './embedding/tsne.ts';
import { DEFAULT_UMAP, type UmapOptions } from './embedding/umap.ts';
import { DEFAULT_NEIGHBOURS, type NeighbourOptions } from './latent/neighbours.ts';

export const EXPLAIN_PARTS: readonly ExplainPart[] = ['embeddings', 'edge-cases', 'xrai', 'directions', 'frame-removal'];

export interface ExplainOptions {
  /** Seed of every draw (sub-sampling, W samples, neighbours, layouts). */
  seed: number;
  /** Images embedded per dataset at most (seeded sub-sample). */
  maxPerSet: number;
  tsne: Partial<TsneOptions>;
  umap: Partial<UmapOptions>;
  /** A second feature space for the embeddings (libs/metrics extractor id, and a model URI where it needs one); null = the classifier's only. */
  extractor: { id: string; modelUri?: string } | null;
  edgeCases: Partial<EdgeCaseOptions>;
  /** Latent neighbours per projected edge case (the reference: distance 0.1). */
  neighbours: Partial<NeighbourOptions>;
  xrai: Partial<XraiOptions>;
  /** Images given heat maps: edge cases, real and synthetic. */
  xraiImages: { edge: number; real: number; synthetic: number };
  directions: {
    /** Directions per method. */
    k: number;
    /** W samples for GANSpace and the hyperplanes. */
    wSamples: number;
    /** Images rendered to label the frame attribute. */
    frameSamples: number;
    /** Edit strip: steps, and the truncation of its sample (REFERENCE §6.3: ψ 0.7 on the first 8 ws). */
    steps: number;
    psi: number;
    cutoff: number;
  };
  frameRemoval: {
    /** Synthetic images per class. */
    perClass: number;
    /** Framed ws are moved to −overshoot × their distance past the frame hyperplane (REFERENCE §1.2: 3). */
    overshoot: number;
  };
  /** Options of the retrained classifiers; unset fields take the explained classifier's own. */
  classifier: Partial<TrainOptions>;
  /** Bootstrap resamples of the ΔAUC intervals. */
  resamples: number;
  /** The projection of edge cases into W (contracts ProjectionOptions; left out: libs/projector's defaults, 1000 steps). */
  projection: ProjectionOptions;
}

export const DEFAULT_EXPLAIN: ExplainOptions = {
  seed: 0,
  maxPerSet: 2000,
  tsne: { ...DEFAULT_TSNE },
  umap: { ...DEFAULT_UMAP },
  extractor: { id: INCEPTION_2015_ID },
  edgeCases: { ...DEFAULT_EDGE_CASES },
  neighbours: { ...DEFAULT_NEIGHBOURS },
  xrai: { ...DEFAULT_XRAI },
  xraiImages: { edge: 6, real: 3, synthetic: 3 },
  directions: { k: 5, wSamples: 2000, frameSamples: 400, steps: 7, psi: 0.7, cutoff: 8 },
  frameRemoval: { perClass: 200, overshoot: 3 },
  classifier: {},
  resamples: 1000,
  projection: {},
};

/** Merge partial options (one level deep) over the defaults. */
export function explainOptions(partial: Record<string, unknown> = {}): ExplainOptions {
  const out: Record<string, unknown> = { ...DEFAULT_EXPLAIN };
  for (const [key, value] of Object.entries(partial)) {
    if (!(key in DEFAULT_EXPLAIN)) throw new ExplainInputError(`explain: unknown option "${key}"; known: ${Object.keys(DEFAULT_EXPLAIN).join(', ')}`);
    const base = (DEFAULT_EXPLAIN as unknown as Record<string, unknown>)[key];
    out[key] = base && typeof base === 'object' && value && typeof value === 'object' && !Array.isArray(value) ? { ...base, ...value } : value;
  }
  return out as unknown as ExplainOptions;
}
