/**
 * From the steps' results to results.json: the paper's tables (GANs, fidelity, utility, the
 * federated GAN beside the central one), sample grids of every synthetic set and of the reals, and
 * the provenance. Each result is read through its step's schema — typed, never cast.
 */
import { join } from 'node:path';
import { DERMAGAN_VERSION, type FolderRef } from '@dermagan/contracts';
import { loadImages, readManifest, selectImages, type DatasetManifest } from '@dermagan/dataset';
import type { SurveyExport } from '@dermagan/survey';
import { writeFileAtomic } from '@dermagan/safe-io';
import type { z } from 'zod';
import { gridPng } from './grid.ts';
import type { StudyPreset } from './presets.ts';
import { STUDY_FORMAT, StudyResults, type FederationResult, type FidelityResult, type GanResult, type UtilityResult } from './results.ts';
import type { StepOutcome } from './runner.ts';
import { FederateOutput } from './steps/federate.ts';
import { FidelityOutput, fidelityStepName } from './steps/fidelity.ts';
import { GenerateOutput } from './steps/generate.ts';
import { IngestOutput } from './steps/ingest.ts';
import { PplOutput } from './steps/ppl.ts';
import { TrainOutput } from './steps/train.ts';
import { UtilityOutput } from './steps/utility.ts';

export interface SummaryInput {
  preset: StudyPreset;
  outcomes: ReadonlyMap<string, StepOutcome>;
  /** Local output folder (grids go to assets/). */
  out: string;
  fetchFolder: (ref: FolderRef) => Promise<string>;
  startedAt: Date;
  finishedAt: Date;
  /** runId, environment and run history for the provenance. */
  provenance: Record<string, unknown>;
  /** The expert survey's exported results, when there are some. */
  survey?: SurveyExport | null;
}

export async function summarise(input: SummaryInput): Promise<StudyResults> {
  const { preset, out } = input;
  const get = <O>(name: string, schema: z.ZodType<O>): O => {
    const outcome = input.outcomes.get(name);
    if (!outcome) throw new Error(`summary: step ${name} did not run`);
    return schema.parse(outcome.record.output);
  };
  const has = (name: string) => input.outcomes.has(name);
  const realDir = await input.fetchFolder(get('ingest', IngestOutput).dataset);
  const realManifest = await readManifest(realDir);

  // The central GANs, their sample grids and scores.
  const gans: GanResult[] = [];
  for (const m of preset.models) {
    const trained = get(`train:${m.run}`, TrainOutput);
    const grid = await datasetGrid(input, get(`generate:${m.run}`, GenerateOutput).dataset, m.run);
    gans.push({
      model: m.model,
      run: m.run,
      conditional: m.classFilter === null,
      classFilter: m.classFilter,
      config: { ...preset.gan, aug: m.aug },
      kimg: trained.kimg,
      wallSeconds: trained.wallSeconds,
      history: trained.history,
      grid,
    });
  }
  // Table 1: the preset's feature space, PPL beside it; the appendix: the second space, the federated GAN too.
  const fidelity: FidelityResult[] = preset.models.map((m) => {
    const scored = get(fidelityStepName(m.run), FidelityOutput);
    if (!has(`ppl:${m.run}`)) return scored;
    const ppl = get(`ppl:${m.run}`, PplOutput);
    return { ...scored, scores: { ...scored.scores, ppl: ppl.ppl }, provenance: { ...scored.provenance, ppl: ppl.provenance } };
  });
  const appendixFidelity: FidelityResult[] = [...preset.models.map((m) => m.run), 'federated']
    .map((run) => fidelityStepName(run, 'appendix'))
    .filter(has)
    .map((name) => get(name, FidelityOutput));
  const utility: UtilityResult[] = preset.utility.map((u) => {
    const r = get(`utility:${u.name}`, UtilityOutput);
    return { name: r.name, scenario: r.scenario, measures: r.measures, provenance: r.provenance };
  });
  const realGrids = [];
  for (const [label, name] of realManifest.labels.entries()) {
    const file = `assets/real-${label}.png`;
    if (await writeGrid(realDir, realManifest, label, join(out, file))) realGrids.push({ label: name, grid: file });
  }

  // The federated GAN beside the central conditional one.
  let federation: FederationResult | null = null;
  if (preset.federation && has('federate')) {
    const fed = get('federate', FederateOutput);
    const scored = get('fidelity:federated', FidelityOutput);
    const central = fidelity.find((f) => f.model === 'cGAN (ADA)')?.scores ?? null;
    const key = Object.keys(scored.scores).find((k) => k === 'fid' || k.startsWith('fd_')) ?? null;
    const tenants = Object.keys(fed.tenantImages).length;
    const spec = preset.federation;
    federation = {
      model: 'federated GAN (unconditional, FedAvg)',
      tenants: fed.tenants,
      tenantImages: fed.tenantImages,
      secagg: spec.secagg,
      rounds: fed.rounds,
      rejections: fed.rejections,
      k: spec.k,
      strategy: spec.strategy,
      training: fed.training,
      iterations: {
        central: Math.round((preset.gan.kimg * 1000) / (preset.gan.batch ?? 16)),
        federatedTotal: spec.rounds * spec.k * tenants,
        perTenant: spec.rounds * spec.k,
      },
      scores: scored.scores,
      provenance: scored.provenance,
      central: central ? { model: 'cGAN (ADA)', scores: central } : null,
      distanceKey: key,
      ratioToCentral: key && central?.[key] ? scored.scores[key]! / central[key]! : null,
      grid: await datasetGrid(input, get('generate:federated', GenerateOutput).dataset, 'federated'),
      wallSeconds: fed.wallSeconds,
    };
  }

  return StudyResults.parse({
    format: STUDY_FORMAT,
    preset,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    wallSeconds: (input.finishedAt.getTime() - input.startedAt.getTime()) / 1000,
    data: { name: realManifest.name, fingerprint: realManifest.fingerprint, size: realManifest.size, labels: realManifest.labels, counts: countImages(realManifest) },
    provenance: { dermaganVersion: DERMAGAN_VERSION, node: process.version, dataFingerprint: realManifest.fingerprint, seed: preset.seed, ...input.provenance },
    gans,
    fidelity,
    appendixFidelity,
    utility,
    realGrids,
    federation,
    survey: input.survey ?? null,
    steps: Object.fromEntries(
      [...input.outcomes.values()].map((o) => [o.name, { status: o.status, run: o.record.run, startedAt: o.record.startedAt, finishedAt: o.record.finishedAt, key: o.record.key, output: o.record.output }]),
    ),
  });
}

/** A grid of a synthetic set as `assets/<name>.png`, or null when it has no images. */
async function datasetGrid(input: SummaryInput, dataset: FolderRef, name: string): Promise<string | null> {
  const dir = await input.fetchFolder(dataset);
  const file = `assets/${name}.png`;
  return (await writeGrid(dir, await readManifest(dir), undefined, join(input.out, file))) ? file : null;
}

function countImages(manifest: DatasetManifest): Record<string, number> {
  const counts: Record<string, number> = { total: manifest.images.length, quarantined: manifest.quarantine.length };
  for (const image of manifest.images) {
    counts[`split:${image.split}`] = (counts[`split:${image.split}`] ?? 0) + 1;
    const label = manifest.labels[image.label] ?? String(image.label);
    counts[`label:${label}`] = (counts[`label:${label}`] ?? 0) + 1;
  }
  return counts;
}

/** A grid of up to 32 images of the dataset (one class when given); false when there are none. */
async function writeGrid(dir: string, manifest: DatasetManifest, label: number | undefined, file: string): Promise<boolean> {
  const entries = selectImages(manifest, label === undefined ? {} : { labels: [label] }).slice(0, 32);
  if (entries.length === 0) return false;
  const batch = await loadImages(dir, manifest, entries);
  await writeFileAtomic(file, await gridPng(batch.pixels, batch.size, entries.length, 8, Math.max(1, Math.round(64 / batch.size))));
  return true;
}
