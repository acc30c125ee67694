/**
 * Several metrics over one pair of feature sets, sharing the expensive passes (statistics once,
 * the three distance passes once), returning one flat record keyed by the result constants plus
 * the provenance. This is what the CLI and the metrics service call.
 */
import { alphaBetaFromNeighbourhoods, alphaBetaRequest } from './alpha-beta-authenticity.ts';
import type { Compute } from './compute.ts';
import { FLOAT64 } from './compute.ts';
import { DEFAULTS, type MetricName } from './defaults.ts';
import { densityCoverageFromNeighbourhoods, densityCoverageRequest } from './density-coverage.ts';
import { checkFeatures, checkSameWidth, MetricInputError, type FeatureMatrix } from './features-matrix.ts';
import { frechetDistance } from './fid.ts';
import * as K from './keys.ts';
import { kernelInceptionDistance } from './kid.ts';
import { gatherNeighbourhoods, minimumSamples, type NeighbourhoodRequest } from './neighbourhoods.ts';
import { precisionRecallFromNeighbourhoods, precisionRecallRequest } from './precision-recall.ts';
import { makeProvenance, type ExtractorProvenance, type MetricProvenance } from './provenance.ts';
import { featureStatistics, type FeatureStatistics } from './statistics.ts';

/** Options for {@link evaluateFeatures}. */
export interface EvaluateOptions {
  /** Which metrics (default all of fid, kid, pr, dc, auth). */
  metrics?: readonly MetricName[];
  /** KID subsets (default 100). */
  kidSubsets?: number;
  /** KID subset size (default 1000). */
  kidSubsetSize?: number;
  /** KID seed (default 0). */
  kidSeed?: number;
  /** Precision/recall k (default 3). */
  prK?: number;
  /** Density/coverage k (default 5). */
  dcK?: number;
  /** α/β levels (default 30). */
  alphaSteps?: number;
  /** Where products run (default float64). */
  compute?: Compute;
  /** The feature space (default: unknown origin, so the Fréchet key is `fd_unknown`). */
  extractor?: ExtractorProvenance;
  /** Source image side, when features were extracted here. */
  imageSize?: number;
  /** Input descriptions for the provenance. */
  inputs?: MetricProvenance['inputs'];
  /** Precomputed real statistics (e.g. a stats .npz), used for FID instead of the real features. */
  realStatistics?: FeatureStatistics;
}

/** Flat scores (absent metrics are null) plus details and provenance. */
export interface MetricsReport {
  /** Scores by result key: fid (or fd_<extractor>), kid, kid_std, precision, recall, density, coverage, alpha_precision, beta_recall, authenticity. */
  scores: Record<string, number | null>;
  /** The key the Fréchet distance was reported under. */
  frechetKey: string;
  /** Per-metric extras (curves, m, rank). */
  details: Record<string, unknown>;
  provenance: MetricProvenance;
}

export const UNKNOWN_EXTRACTOR: ExtractorProvenance = Object.freeze({ id: 'unknown', hash: null, inputSize: null, resize: null });

/** The minimum samples per set the options need (k + 1 for the neighbourhood metrics, 2 otherwise). */
export function minimumSamplesFor(options: EvaluateOptions): number {
  const metrics = options.metrics ?? ['fid', 'kid', 'pr', 'dc', 'auth'];
  const ks: number[] = [];
  if (metrics.includes('pr')) ks.push(options.prK ?? DEFAULTS.prK);
  if (metrics.includes('dc')) ks.push(options.dcK ?? DEFAULTS.dcK);
  if (metrics.includes('auth')) ks.push(1);
  return minimumSamples({ ks });
}

export function evaluateFeatures(real: FeatureMatrix, fake: FeatureMatrix, options: EvaluateOptions = {}): MetricsReport {
  const metrics = options.metrics ?? ['fid', 'kid', 'pr', 'dc', 'auth'];
  const compute = options.compute ?? FLOAT64;
  const extractor = options.extractor ?? UNKNOWN_EXTRACTOR;
  const need = minimumSamplesFor(options);
  checkFeatures('metrics: real features', real, need);
  checkFeatures('metrics: fake features', fake, need);
  checkSameWidth('metrics', real, fake);
  const prK = options.prK ?? DEFAULTS.prK;
  const dcK = options.dcK ?? DEFAULTS.dcK;
  const frechetKey = K.frechetKey(extractor.id);
  const scores: Record<string, number | null> = {
    [K.KEY_FID]: null,
    [K.KEY_KID]: null,
    [K.KEY_KID_STD]: null,
    [K.KEY_PRECISION]: null,
    [K.KEY_RECALL]: null,
    [K.KEY_DENSITY]: null,
    [K.KEY_COVERAGE]: null,
    [K.KEY_ALPHA_PRECISION]: null,
    [K.KEY_BETA_RECALL]: null,
    [K.KEY_AUTHENTICITY]: null,
  };
  const details: Record<string, unknown> = {};
  const seeds: MetricProvenance['seeds'] = {};

  // Fréchet distance (FID only in the Inception pool3 space).
  if (metrics.includes('fid')) {
    const realStats = options.realStatistics ?? featureStatistics(real, { compute });
    if (realStats.d !== fake.cols) throw new MetricInputError(`metrics: real statistics are ${realStats.d}-d but fake features are ${fake.cols}-d`);
    const fd = frechetDistance(realStats, featureStatistics(fake, { compute }));
    scores[frechetKey] = fd.value;
    details.frechet = { key: frechetKey, meanTerm: fd.meanTerm, traceTerm: fd.traceTerm, traceSqrt: fd.traceSqrt, rankRealCovariance: fd.rank };
  }

  // KID.
  if (metrics.includes('kid')) {
    const kid = kernelInceptionDistance(real, fake, { subsets: options.kidSubsets, subsetSize: options.kidSubsetSize, seed: options.kidSeed, compute });
    scores[K.KEY_KID] = kid.value;
    scores[K.KEY_KID_STD] = kid.std;
    details.kid = { m: kid.m, subsets: kid.subsets };
    seeds.kid = kid.seed;
  }

  // Manifold metrics: one set of distance passes for all of them.
  const request: NeighbourhoodRequest = { ks: [], balls: [], compute };
  const add = (part: Pick<NeighbourhoodRequest, 'ks' | 'balls'>) => {
    request.ks.push(...part.ks);
    request.balls.push(...part.balls);
  };
  if (metrics.includes('pr')) add(precisionRecallRequest(prK));
  if (metrics.includes('dc')) add(densityCoverageRequest(dcK));
  if (metrics.includes('auth')) add(alphaBetaRequest());
  if (request.ks.length > 0) {
    const nb = gatherNeighbourhoods(real, fake, request);
    if (metrics.includes('pr')) {
      const pr = precisionRecallFromNeighbourhoods(nb, request, prK);
      scores[K.KEY_PRECISION] = pr.precision;
      scores[K.KEY_RECALL] = pr.recall;
    }
    if (metrics.includes('dc')) {
      const dc = densityCoverageFromNeighbourhoods(nb, request, dcK);
      scores[K.KEY_DENSITY] = dc.density;
      scores[K.KEY_COVERAGE] = dc.coverage;
    }
    if (metrics.includes('auth')) {
      const ab = alphaBetaFromNeighbourhoods(nb, options.alphaSteps ?? DEFAULTS.alphaSteps);
      scores[K.KEY_ALPHA_PRECISION] = ab.alphaPrecision;
      scores[K.KEY_BETA_RECALL] = ab.betaRecall;
      scores[K.KEY_AUTHENTICITY] = ab.authenticity;
      details.alphaBeta = { alphas: ab.alphas, alphaPrecisionCurve: ab.alphaPrecisionCurve, betaRecallCurve: ab.betaRecallCurve, embedding: 'identity (no one-class network), centre = real mean' };
    }
  }

  // A score that is NaN or ±Infinity is an error with its reason, never a silent null in JSON.
  for (const [key, value] of Object.entries(scores)) {
    if (value !== null && !Number.isFinite(value)) {
      throw new MetricInputError(
        `metrics: ${key} came out ${value} (compute ${compute.mode}): the inputs' values are too large or degenerate for it; ` +
          `check the ${options.realStatistics ? 'real statistics and the ' : ''}features`,
      );
    }
  }

  const provenance = makeProvenance({
    extractor,
    nReal: options.realStatistics && !metrics.some((m) => m !== 'fid') ? options.realStatistics.n : real.rows,
    nFake: fake.rows,
    imageSize: options.imageSize ?? null,
    featureDim: fake.cols,
    seeds,
    compute: compute.mode,
    options: {
      metrics: [...metrics],
      kidSubsets: options.kidSubsets ?? DEFAULTS.kidSubsets,
      kidSubsetSize: options.kidSubsetSize ?? DEFAULTS.kidSubsetSize,
      prK,
      dcK,
      alphaSteps: options.alphaSteps ?? DEFAULTS.alphaSteps,
      prComparison: '<=',
      dcComparison: '<',
    },
    ...(options.inputs ? { inputs: options.inputs } : {}),
  });
  return { scores, frechetKey, details, provenance };
}

