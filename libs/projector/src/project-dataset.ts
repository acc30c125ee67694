/**
 * Project images of a dataset folder into a generator (the `dermagan project` command and the
 * projector service): check that they fit the generator, claim the output folder (or continue the
 * projection already in it), project in batches with per-image states under DIR/state, then write
 * the latents (w.npy, noise/; their sha256 in projection.json), the projected dataset and the per-image numbers (perceptual distance, pixel MSE, cosine
 * distance in the classifier embedding when a classifier is given).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { percentile } from '@dermagan/classifier';
import { DERMAGAN_VERSION } from '@dermagan/contracts';
import { loadImages, readManifest } from '@dermagan/dataset';
import type { LoadedGenerator } from '@dermagan/gan';
import { extractFeatures, type FeatureExtractor } from '@dermagan/metrics';
import type { Tf } from '@dermagan/tf';
import { conditioningLabels } from './compatibility.ts';
import { ProjectorError } from './errors.ts';
import { claimOutputFolder, generatorFingerprint, JOB_FORMAT, resultOptions, type ProjectionJobFile } from './job-file.ts';
import type { ProjectorOptions } from './options.ts';
import { OUTPUT_FILES, writeOutputs, type ProjectionRow } from './outputs.ts';
import type { PerceptualFeatures } from './perceptual.ts';
import { projectImages, type ProjectionProgress } from './project.ts';
import { selectTargets, type Selection } from './selection.ts';
import { cosineDistances } from './spaces.ts';
import type { DoneState } from './state.ts';
import { FolderStateStore, type StateStore } from './state-store.ts';

export interface ProjectDatasetOptions {
  loaded: LoadedGenerator;
  /** Dataset folder (manifest.json + shards). */
  data: string;
  /** How messages name the dataset (default: its folder; a service names the store reference). */
  dataName?: string;
  selection: Selection;
  /** Output folder (created, or continued when it holds the same projection). */
  out: string;
  options: ProjectorOptions;
  perceptual: PerceptualFeatures;
  /** The classifier embedding, for cosine distances (undefined: none measured). */
  classifier?: FeatureExtractor;
  /** Where per-image states live (default DIR/state). */
  states?: StateStore;
  onProgress?: (progress: ProjectionProgress) => void;
  signal?: AbortSignal;
}

/** Mean and quartiles of a per-image number. */
export interface Spread {
  mean: number;
  q1: number;
  median: number;
  q3: number;
}

export interface ProjectionSummary {
  out: string;
  images: number;
  stopped: 'done' | 'aborted';
  resumed: number;
  alreadyDone: number;
  space: 'w' | 'w+';
  /** The distance's space (`lpips-vgg16`, or the `pixels-mse` stand-in). */
  perceptual: string;
  distance: Spread | null;
  mse: Spread | null;
  cosine: Spread | null;
  /** Image-steps this run took (less than images × steps when it continued a projection). */
  imageSteps: number;
  imageStepsPerSecond: number;
  seconds: number;
  /** sha256 of the latent files (w.npy, noise/<buffer>.npy) by path in the folder (empty when stopped). */
  files: Record<string, string>;
  /** Per image, in selection order (empty when stopped). */
  rows: ProjectionRow[];
}

export function spread(values: ArrayLike<number>): Spread {
  const v = Array.from(values).filter(Number.isFinite);
  return { mean: v.reduce((a, b) => a + b, 0) / v.length, q1: percentile(v, 25), median: percentile(v, 50), q3: percentile(v, 75) };
}

export async function projectDataset(tf: Tf, o: ProjectDatasetOptions): Promise<ProjectionSummary> {
  const { loaded } = o;
  const G = loaded.G;

  // Select the images and check they fit the generator.
  const manifest = await readManifest(o.data);
  const name = o.dataName ?? o.data;
  const entries = selectTargets(manifest, o.selection, name);
  const labels = conditioningLabels(loaded, manifest, entries, name);
  if (o.classifier && o.classifier.inputSize <= 0) throw new ProjectorError('classifier extractor without an input size');

  // Claim the output folder (or continue the projection in it).
  const job: ProjectionJobFile = {
    format: JOB_FORMAT,
    generator: { fingerprint: generatorFingerprint(G), provenance: loaded.provenance },
    dataset: { fingerprint: manifest.fingerprint, name: manifest.name },
    ids: entries.map((e) => e.id),
    options: resultOptions(o.options),
    perceptual: { id: o.perceptual.id, hash: o.perceptual.hash },
  };
  await claimOutputFolder(o.out, job);

  // Project.
  const images = await loadImages(o.data, manifest, entries);
  const per = manifest.size * manifest.size * 3;
  const outcome = await projectImages(tf, {
    G,
    perceptual: o.perceptual,
    options: o.options,
    targets: entries.map((e, i) => ({ id: e.id, label: labels[i]!, pixels: images.pixels.subarray(i * per, (i + 1) * per) })),
    states: o.states ?? new FolderStateStore(join(o.out, 'state')),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const base = {
    out: o.out,
    images: entries.length,
    stopped: outcome.stopped,
    resumed: outcome.resumed,
    alreadyDone: outcome.alreadyDone,
    space: o.options.space,
    perceptual: o.perceptual.id,
    imageSteps: outcome.imageSteps,
    imageStepsPerSecond: outcome.imageSteps / Math.max(outcome.seconds, 1e-9),
    seconds: outcome.seconds,
  };
  if (outcome.stopped === 'aborted') return { ...base, distance: null, mse: null, cosine: null, files: {}, rows: [] };
  const results = outcome.results as DoneState[];

  // Cosine distances in the classifier embedding.
  let cosine: Float64Array | null = null;
  if (o.classifier) {
    const n = entries.length;
    const projected = new Uint8Array(n * per);
    results.forEach((r, i) => projected.set(r.image, i * per));
    const a = await extractFeatures(o.classifier, images.pixels, n, manifest.size);
    const b = await extractFeatures(o.classifier, projected, n, manifest.size);
    cosine = cosineDistances(a.data as Float32Array, b.data as Float32Array, n, o.classifier.dim);
  }

  // Files.
  const provenance = {
    projection: {
      generator: loaded.provenance,
      generatorFingerprint: job.generator.fingerprint,
      dataset: { name: manifest.name, fingerprint: manifest.fingerprint },
      options: o.options,
      perceptual: job.perceptual,
      wStatistics: [...outcome.wStats.values()].map((s) => ({ label: s.label, wStd: s.wStd, samples: s.samples, seed: s.seed })),
      classifier: o.classifier ? { id: o.classifier.id, hash: o.classifier.hash } : null,
      dermaganVersion: DERMAGAN_VERSION,
    },
  };
  const { rows, files } = await writeOutputs({ dir: o.out, source: manifest, entries, results, G, cosine, provenance });
  const summary: ProjectionSummary = {
    ...base,
    distance: spread(rows.map((r) => r.distance)),
    mse: spread(rows.map((r) => r.mse)),
    cosine: cosine ? spread(cosine) : null,
    files,
    rows,
  };
  const { rows: _rows, ...written } = summary;
  await writeFile(join(o.out, OUTPUT_FILES.summary), `${JSON.stringify({ ...written, provenance }, null, 1)}\n`);
  return summary;
}
