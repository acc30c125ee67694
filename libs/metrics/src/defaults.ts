/**
 * Every metric option and its default, in one table (torch-fidelity `defaults.py`). The values are
 * the reference code's (NVlabs stylegan2-ada-pytorch `metrics/`, prdc, Alaa et al.) unless noted.
 */
export const DEFAULTS = Object.freeze({
  /** KID: number of random subsets (NVlabs `num_subsets`). */
  kidSubsets: 100,
  /** KID: rows per subset; m = min(n_real, n_fake, this) (NVlabs `max_subset_size`). */
  kidSubsetSize: 1000,
  /** KID: seed of the subset sampler. */
  kidSeed: 0,
  /** Precision/recall: neighbourhood size k (NVlabs `nhood_size`). */
  prK: 3,
  /** Density/coverage: neighbourhood size k (Naeem et al. recommend 5). */
  dcK: 5,
  /** α-precision / β-recall: number of α (and β) levels on [0, 1] (Alaa et al.'s code: 30). */
  alphaSteps: 30,
  /** PPL: step along the path (NVlabs `epsilon`). */
  pplEpsilon: 1e-4,
  /** PPL: number of path samples (NVlabs: 50 000; a parameter here). */
  pplSamples: 50_000,
  /** PPL: where on the path: `end` (t = 0) or `full` (t ~ U[0, 1)) (NVlabs `sampling`). */
  pplSampling: 'end' as 'end' | 'full',
  /** PPL: crop the central face region before the feature network (NVlabs `crop`; ppl2_wend: off). */
  pplCrop: false,
  /** PPL: path samples per generator call. */
  pplBatch: 16,
  /** PPL: seed of the end-point sampler. */
  pplSeed: 0,
  /** Distances: tile edge (rows and columns) of the blocked pairwise distances. */
  distanceBlock: 1024,
  /** FID accumulator: rows per covariance block (float64 mode). */
  momentBlockFloat64: 128,
  /** FID accumulator: rows per covariance block (tf mode; float32 sums inside a block). */
  momentBlockTf: 512,
  /**
   * Largest feature magnitude accepted. The tf path evaluates the cubic KID kernel (x·y/d + 1)³ in
   * float32, which leaves float32's range (3.4e38) once |x| passes ~2.6e6; 1e6 keeps every path in
   * range with room, and is far above real features (Inception pool3 < 100, VGG16 fc2 < 1e4).
   */
  featureMagnitude: 1e6,
});

/** Metric names the CLI and the metrics service accept (`--metrics fid,kid,pr,dc,auth`). */
export const METRIC_NAMES = ['fid', 'kid', 'pr', 'dc', 'auth'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];
