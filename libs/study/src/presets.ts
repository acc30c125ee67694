import type { ClassifierOptions, EvaluationOptions, GanTrainingOptions } from '@dermagan/contracts';

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
  /** Feature extractor and metrics (libs/metrics). */
  extractor: string;
  metrics: string[];
  metricOptions: EvaluationOptions;
  /** Classifier options (libs/classifier) and the utility rows. */
  classifier: ClassifierOptions;
  utility: UtilitySpec[];
  /** The federated GAN (unconditional, all classes) across tenants; null = central protocol only. */
  federation: FederationSpec | null;
  /** Upper bound on any one step, so a stuck service fails the study instead of hanging it. */
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
    extractor: 'pixels-rp64',
    metrics: ['fid', 'kid', 'pr', 'dc', 'auth'],
    metricOptions: { kidSubsets: 5, kidSubsetSize: 16, k: 3 },
    classifier: { arch: 'small', epochs: 1, size: 16, seed: 0, resamples: 50 },
    utility: UTILITY,
    federation: { tenants: 3, rounds: 2, k: 3, strategy: 'fedavg', secagg: true },
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
    extractor: 'pixels-rp64',
    metrics: ['fid', 'kid', 'pr', 'dc', 'auth'],
    metricOptions: { kidSubsets: 20, kidSubsetSize: 100, k: 3 },
    classifier: { arch: 'small', epochs: 6, size: 32, seed: 0 },
    utility: UTILITY,
    // About the central GAN's 500 iterations in total: 3 tenants × 5 rounds × 34.
    federation: { tenants: 3, rounds: 5, k: 34, strategy: 'fedavg', secagg: true },
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
    classifier: { arch: 'efficientnet-b2', epochs: 20, size: 256, seed: 2022 },
    utility: [
      ...UTILITY,
      { name: 'synth-cGAN (no colour)', scenario: 'synth', synthFrom: ['cGAN (ADA, no colour)'] },
      { name: 'aug-cGAN (no colour)', scenario: 'real+synth', synthFrom: ['cGAN (ADA, no colour)'], synthClasses: [1] },
    ],
    // REFERENCE.md §1.4: 3 hospitals of 2k, 12k and 20k images, FedAvg every 100 iterations.
    federation: { tenants: [2000, 12000, 20000], rounds: 2500, k: 100, strategy: 'fedavg', secagg: true },
    stepTimeoutS: 14 * 24 * 3600,
  },
};
