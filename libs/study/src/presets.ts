import type { ClassifierOptions, EvaluationOptions, ExplainPart, GanTrainingOptions, ProjectionOptions } from '@dermagan/contracts';

/**
 * Study presets, one table (like the reference's cfg_specs): `quick` runs the whole protocol on the
 * shipped demo subset on 2 CPU cores in well under 30 minutes; `paper` is the study's settings.
 */

export interface GanModelSpec {
  /** Row name in Table 1. */
  model: string;
  /** Run name (store prefix, Kafka key). */
  run: string;
  /** Unconditional on one class (0 benign, 1 malignant), or conditional on both (null). */
  classFilter: number | null;
  /** ADA pipe: 'bgc' (with colour) or 'bg' (no colour). */
  aug: 'bgc' | 'bg';
}

export interface UtilitySpec {
  /** Row name in Table 2. */
  name: string;
  scenario: 'real' | 'synth' | 'real+synth';
  /** Which models' synthetic sets feed it. */
  synthFrom: string[];
  /** For real+synth: only these synthetic classes are added (the paper added malignant only). */
  synthClasses?: number[];
}

export interface FederationSpec {
  /** Tenant count, or sizes as in the study (2000, 12000, 20000). */
  tenants: number | number[];
  rounds: number;
  /** Local iterations per round (the study: 100). */
  k: number;
  /** Aggregation rule (libs/federation). */
  strategy: string;
  /** Secure aggregation: the aggregator sees only the sum of the tenants' masked updates (same model as plain FedAvg to ~1e-6). */
  secagg: boolean;
}

/** The privacy audit of each GAN (libs/projector, through the projector service). */
export interface AuditSpec {
  /** The projector's optimisation (left out: libs/projector's defaults, the reference's 1000 steps). */
  options: ProjectionOptions;
  /** Training images projected (a seeded sample) and held-out images projected; every training image is searched for copies. */
  members: number;
  nonMembers: number;
  /** Generated images searched for copies. */
  generated: number;
  /** Spaces searched for copies besides the projector's distance. */
  spaces: Array<'inception-2015'>;
  /** Bootstrap resamples of the AUC interval. */
  resamples: number;
}

/** The explanation of the real-data classifier and the conditional GAN (libs/explain, through the explainer service). */
export interface ExplainSpec {
  parts: ExplainPart[];
  /** libs/explain options (sizes, counts, the edge cases' projection); left out: its defaults. */
  options: Record<string, unknown>;
}

export interface StudyPreset {
  name: 'smoke' | 'quick' | 'paper';
  /** Ingest: image side and train fraction of the patient-grouped split. */
  size: number;
  split: number;
  seed: number;
  /** StyleGAN2-ADA options shared by every model (the contract's GanTrainingOptions; each model sets cond, aug and seed). */
  gan: Omit<GanTrainingOptions, 'cond' | 'aug' | 'seed'>;
  models: GanModelSpec[];
  /** Synthetic images generated per class and model. */
  generatePerClass: number;
  truncation: number;
  /** Feature extractor and metrics of Table 1 (libs/metrics); `metricOptions.maxImages` caps the images of each set scored. */
  extractor: string;
  metrics: string[];
  metricOptions: EvaluationOptions;
  /** A second feature space scored on every image, shown in the report's appendix (null = none). */
  appendixExtractor: string | null;
  /** PPL (LPIPS-VGG16, W space, end-point sampling) of each central GAN: path samples (null = not measured). */
  ppl: { samples: number } | null;
  /** Classifier options (libs/classifier) and the utility rows. */
  classifier: ClassifierOptions;
  utility: UtilitySpec[];
  /** The federated GAN (unconditional, all classes) across tenants; null = central protocol only. */
  federation: FederationSpec | null;
  /** The privacy audit of every GAN (null = not run). */
  audit: AuditSpec | null;
  /** The explanation (null = not run). */
  explain: ExplainSpec | null;
  /**
   * Seconds the study waits without a word from any service (no reply, progress, checkpoint or
   * round) before it fails a step, so a stuck or missing service fails the study instead of hanging
   * it; as long as services report, queued steps wait their turn.
   */
  stepTimeoutS: number;
}

const CENTRAL_MODELS: GanModelSpec[] = [
  { model: 'ben-GAN', run: 'ben-gan', classFilter: 0, aug: 'bgc' },
  { model: 'mal-GAN', run: 'mal-gan', classFilter: 1, aug: 'bgc' },
  { model: 'cGAN (ADA)', run: 'cgan-ada', classFilter: null, aug: 'bgc' },
];

const UTILITY: UtilitySpec[] = [
  { name: 'real', scenario: 'real', synthFrom: [] },
  { name: 'synth-GAN', scenario: 'synth', synthFrom: ['ben-GAN', 'mal-GAN'] },
  { name: 'aug-GAN', scenario: 'real+synth', synthFrom: ['mal-GAN'], synthClasses: [1] },
  { name: 'synth-cGAN', scenario: 'synth', synthFrom: ['cGAN (ADA)'] },
  { name: 'aug-cGAN', scenario: 'real+synth', synthFrom: ['cGAN (ADA)'], synthClasses: [1] },
];

export const PRESETS: Record<StudyPreset['name'], StudyPreset> = {
  // Every step once, in a couple of minutes: checks an installation, not the science.
  smoke: {
    name: 'smoke',
    size: 16,
    split: 0.8,
    seed: 0,
    gan: { res: 16, kimg: 0.064, batch: 8, cbase: 256, cmax: 32, map: 1, gamma: 0.05, tickKimg: 0.032 },
    models: CENTRAL_MODELS,
    generatePerClass: 24,
    truncation: 1,
    // Table 1's code path on 16 images a set (Inception-2015 runs ~1.5 images/s on 2 cores): checks it runs, not a usable FID.
    extractor: 'inception-2015',
    metrics: ['fid', 'kid', 'pr', 'dc', 'auth'],
    metricOptions: { kidSubsets: 5, kidSubsetSize: 16, k: 3, maxImages: 16 },
    appendixExtractor: 'pixels-rp64',
    ppl: { samples: 16 },
    classifier: { arch: 'small', epochs: 1, size: 16, seed: 0, resamples: 50 },
    utility: UTILITY,
    federation: { tenants: 3, rounds: 2, k: 3, strategy: 'fedavg', secagg: true },
    // 10 projection steps of 8 + 8 images: runs the attack, measures nothing.
    audit: { options: { steps: 10, wAvgSamples: 500, distance: 'lpips-vgg16' }, members: 8, nonMembers: 8, generated: 16, spaces: [], resamples: 100 },
    // Embeddings and edge cases with their latent neighbours (3 cases projected for 10 steps), in the classifier's space only.
    explain: {
      parts: ['embeddings', 'edge-cases'],
      options: { maxPerSet: 24, extractor: null, tsne: { iterations: 250 }, umap: { epochs: 50 }, edgeCases: { max: 3 }, neighbours: { count: 2 }, projection: { steps: 10, wAvgSamples: 500 }, resamples: 50 },
    },
    stepTimeoutS: 900,
  },
  quick: {
    name: 'quick',
    size: 32,
    split: 0.8,
    seed: 0,
    gan: { res: 32, kimg: 8, batch: 16, cbase: 2048, cmax: 64, map: 2, gamma: 0.05, tickKimg: 1 },
    models: CENTRAL_MODELS,
    generatePerClass: 150,
    truncation: 1,
    // 64 real and 64 synthetic images a model in Inception-2015 (~1.5–2 images/s on 2 cores: ~1.5 min a model);
    // FID from 64 images is biased far upwards (the paper: 50k), so compare models, not the paper's values.
    extractor: 'inception-2015',
    metrics: ['fid', 'kid', 'pr', 'dc', 'auth'],
    metricOptions: { kidSubsets: 20, kidSubsetSize: 64, k: 3, maxImages: 64 },
    appendixExtractor: 'pixels-rp64',
    ppl: { samples: 200 },
    // The small CNN from scratch keeps the quick preset quick (Lite2 at 224² costs ~0.3 s an image a step on 2 cores); Table 2's caption says which.
    classifier: { arch: 'small', epochs: 6, size: 32, seed: 0 },
    utility: UTILITY,
    // About the central GAN's 500 iterations in total: 3 tenants × 5 rounds × 34.
    federation: { tenants: 3, rounds: 5, k: 34, strategy: 'fedavg', secagg: true },
    // 50 projection steps (the reference: 1000) of 16 training and 16 held-out images, 64 generated images searched
    // for copies in LPIPS-VGG16 only: a coarse attack, its CI says how coarse. (Measured: 32 + 32 images × 100 steps and
    // 128 generated took 7.5 min for one GAN at 32² on 2 busy cores; these sizes are about a quarter of the projection work.)
    audit: { options: { steps: 50, wAvgSamples: 2000, distance: 'lpips-vgg16' }, members: 16, nonMembers: 16, generated: 64, spaces: [], resamples: 500 },
    // Every part at small sizes: 8 edge cases projected for 100 steps, 100 images a set embedded (classifier space only).
    explain: {
      parts: ['embeddings', 'edge-cases', 'xrai', 'directions', 'frame-removal'],
      options: {
        maxPerSet: 100, extractor: null, tsne: { iterations: 500 }, edgeCases: { max: 8 }, projection: { steps: 100, wAvgSamples: 2000 },
        xrai: { steps: 20 }, xraiImages: { edge: 2, real: 1, synthetic: 1 }, directions: { k: 3, wSamples: 500, frameSamples: 120, steps: 5, psi: 0.7, cutoff: 8 },
        frameRemoval: { perClass: 50, overshoot: 3 }, resamples: 200,
      },
    },
    stepTimeoutS: 1800,
  },
  paper: {
    name: 'paper',
    size: 256,
    split: 0.8,
    seed: 0,
    // REFERENCE.md §2.1 'auto' at 256 px on one GPU: batch 16, 2 mapping layers, γ 0.8192, EMA 5 kimg; x-flip doubling (§1.5: --mirror=1, inferred).
    gan: { res: 256, kimg: 25000, batch: 16, cbase: 16384, cmax: 512, map: 2, gamma: 0.8192, mirror: true, tickKimg: 4 },
    models: [...CENTRAL_MODELS, { model: 'cGAN (ADA, no colour)', run: 'cgan-ada-nocolour', classFilter: null, aug: 'bg' }],
    generatePerClass: 27500,
    truncation: 1,
    extractor: 'inception-2015', // the FID graph, provisioned by npm run setup (sg2ada preprocessing)
    metrics: ['fid', 'kid', 'pr', 'dc', 'auth'],
    metricOptions: { kidSubsets: 100, kidSubsetSize: 1000, k: 3 },
    appendixExtractor: 'pixels-rp64',
    ppl: { samples: 50_000 }, // ppl2_wend
    // The paper's classifier was ImageNet-pretrained (B2); the nearest pretrained one here is Lite2 (npm run setup), at the resolution it was trained at.
    classifier: { arch: 'efficientnet-lite2', epochs: 20, size: 260, seed: 2022 },
    utility: [
      ...UTILITY,
      { name: 'synth-cGAN (no colour)', scenario: 'synth', synthFrom: ['cGAN (ADA, no colour)'] },
      { name: 'aug-cGAN (no colour)', scenario: 'real+synth', synthFrom: ['cGAN (ADA, no colour)'], synthClasses: [1] },
    ],
    // REFERENCE.md §1.4: 3 hospitals of 2k, 12k and 20k images, FedAvg every 100 iterations.
    federation: { tenants: [2000, 12000, 20000], rounds: 2500, k: 100, strategy: 'fedavg', secagg: true },
    // The reference projector (1000 steps, LPIPS-VGG16, w_avg of 10k), 2000 members and non-members, copies in Inception too.
    audit: { options: {}, members: 2000, nonMembers: 2000, generated: 10_000, spaces: ['inception-2015'], resamples: 1000 },
    // libs/explain's defaults (Inception embeddings too, edge cases projected with the reference's 1000 steps).
    explain: { parts: ['embeddings', 'edge-cases', 'xrai', 'directions', 'frame-removal'], options: {} },
    stepTimeoutS: 14 * 24 * 3600,
  },
};
