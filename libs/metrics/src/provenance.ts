/**
 * What made a number: every metric result carries this record (NVlabs `calc_metric` metadata,
 * clean-fid's mode-in-the-name). Two scores are comparable only when their provenance agrees on
 * the extractor (id and hash), the resize and the sample counts.
 */
import { DERMAGAN_VERSION } from '@dermagan/contracts';
import type { ComputeMode } from './compute.ts';
import type { FeatureExtractor } from './features.ts';
import type { ResizeMode } from './resize.ts';

export interface ExtractorProvenance {
  /** Feature-space id (`inception-v3-pool3`, `pixels-rp64`, …; `unknown` for bare feature files). */
  id: string;
  /** sha256 of the weights / parameters, or null when the features came from elsewhere. */
  hash: string | null;
  /** Network input side, or null when unknown. */
  inputSize: number | null;
  /** Resize mode, or null when unknown. */
  resize: ResizeMode | null;
  /** The named preprocessing (`sg2ada`, `clean`, `tf-legacy`) of the paper's feature networks, when one applies. */
  preprocessing?: string;
}

/** The provenance record of an extractor (every score made with it carries this). */
export function extractorProvenance(e: Pick<FeatureExtractor, 'id' | 'hash' | 'inputSize' | 'resize' | 'preprocessing'>): ExtractorProvenance {
  const p: ExtractorProvenance = { id: e.id, hash: e.hash, inputSize: e.inputSize, resize: e.resize };
  if (e.preprocessing) p.preprocessing = e.preprocessing;
  return p;
}

export interface MetricProvenance {
  extractor: ExtractorProvenance;
  /** Number of real / fake samples scored. */
  nReal: number;
  nFake: number;
  /** Side of the source images (before resize), or null for feature files. */
  imageSize: number | null;
  /** Feature width. */
  featureDim: number;
  /** Seeds of every sampled step. */
  seeds: { kid?: number; ppl?: number };
  /** Where the products ran. */
  compute: ComputeMode;
  /** The options in force (k, subsets, …). */
  options: Record<string, unknown>;
  /** Where the inputs came from (paths / URIs and content hashes), when known. */
  inputs?: { real?: InputProvenance; fake?: InputProvenance };
  dermaganVersion: string;
}

export interface InputProvenance {
  /** Path or URI given. */
  source: string;
  /** sha256 of the feature file, or the dataset's manifest fingerprint. */
  sha256?: string;
  /** What it was: a feature file or a dataset folder. */
  kind: 'features' | 'dataset' | 'statistics';
}

export function makeProvenance(p: Omit<MetricProvenance, 'dermaganVersion'>): MetricProvenance {
  return { ...p, dermaganVersion: DERMAGAN_VERSION };
}
