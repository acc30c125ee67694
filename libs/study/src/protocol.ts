/**
 * The paper's central protocol, run by publishing the events the services consume — so the
 * embedded run (memory bus, local store, services in-process) and the cluster run (Kafka, S3,
 * services in pods) are one code path:
 *
 *   ingest → train ben-GAN, mal-GAN, cGAN → generate → fidelity metrics per model
 *   → classifier on real / synth / real+synth → results.json + report.html
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { EventBus } from '@dermagan/bus';
import {
  CheckpointSaved, DatasetGenerated, DatasetIngested, DERMAGAN_VERSION, EvaluationCompleted, EvaluationRequested,
  GenerationRequested, IngestRequested, TrainingCompleted, TrainingProgress, TrainingRequested, UtilityCompleted,
  UtilityRequested, type ArtifactRef, type FederatedGanTrainingOptions, type FolderRef, type OutputLocation,
} from '@dermagan/contracts';
import { loadImages, readManifest, selectImages, type DatasetManifest } from '@dermagan/dataset';
import { claimOutputFolder, runFolder } from '@dermagan/safe-io';
import type { ObjectStore } from '@dermagan/store';
import { gridPng } from './grid.ts';
import type { StudyPreset } from './presets.ts';
import { renderReport } from './report/html.ts';
import { runFederation, type RoundSummary } from './federated.ts';
import { Replies, StudyStepError } from './replies.ts';
import { STUDY_FORMAT, StudyResults, type FidelityResult, type GanResult, type TickRecord, type UtilityResult } from './results.ts';

export interface StudyOptions {
  /** The source: a metadata CSV or a folder per class, readable by the ingest service. */
  data: string;
  /** Local output folder for results.json, report.html and assets/. */
  out: string;
  preset: StudyPreset;
  bus: EventBus;
  store: ObjectStore;
  /** Bucket for every artifact of the study. */
  bucket: string;
  /** Copy a folder artifact to a local directory (cached) and return its path. */
  fetchFolder: (ref: FolderRef) => Promise<string>;
  /** Facts about where it ran (backend, bus, store), recorded in the provenance. */
  environment: Record<string, unknown>;
  /** Progress for a terminal: step name, done and total units. */
  onProgress?: (step: string, done: number, total: number, status?: string) => void;
  /** Study run id (default: a new one); names the store prefix and the reply consumer group. */
  runId?: string;
  /** What the federated part needs from its setting; absent = the federated part is skipped. */
  federation?: {
    /** Tenant id (`tenant-0`, …) → the Ed25519 public key (SPKI PEM) its updates are verified with. */
    publicKeys: Record<string, string>;
    /** Make a generator checkpoint folder from the final global weights (for the generator service). */
    toCheckpoint: (global: ArtifactRef, training: FederatedGanTrainingOptions, output: OutputLocation) => Promise<FolderRef>;
  };
}

export interface StudyOutcome {
  results: StudyResults;
  resultsPath: string;
  reportPath: string;
}

/** What `study --out` holds: report.html, results.json, assets/, work/ and the fs store; recognised by its marker. */
export const STUDY_FOLDER = runFolder('study', 'dermagan study');

export async function runStudy(options: StudyOptions): Promise<StudyOutcome> {
  const { preset, bus, bucket, out } = options;
  const runId = options.runId ?? `study-${new Date().toISOString().replace(/[-:T.Z]/g, '').slice(0, 14)}-${randomUUID().slice(0, 6)}`;
  const prefix = `runs/${runId}/`;
  const progress = options.onProgress ?? (() => {});
  const timeout = preset.stepTimeoutS * 1000;
  const startedAt = new Date();
  await claimOutputFolder(out, STUDY_FOLDER);
  await mkdir(join(out, 'assets'), { recursive: true });
  await options.store.ensureBucket(bucket);

  // Listen for replies and progress.
  const history = new Map<string, TickRecord[]>();
  const replies = new Replies(bus, `study-${runId}`);
  await replies.listen(
    [DatasetIngested, TrainingCompleted, DatasetGenerated, EvaluationCompleted, UtilityCompleted],
    [
      {
        definition: TrainingProgress,
        handle: (e) => {
          const d = TrainingProgress.parse(e).data;
          progress(`train ${d.run}`, d.kimg, d.totalKimg, `loss G ${fmt(d.stats.lossG)} D ${fmt(d.stats.lossD)} p ${fmt(d.stats.adaP)}`);
        },
      },
      { definition: CheckpointSaved, handle: () => {} },
    ],
  );
  // A request that a service gives up on (dead letter) fails the study with the service's reason.
  const stopWatching = bus.moments.on('deadLettered', (m) => {
    if (m.id) replies.fail(m.id, new StudyStepError(`${m.type} failed in service group "${m.group}" after ${m.attempts} attempt(s): ${m.reason}`));
  });
  const caused = { runid: runId, source: '/dermagan/study' };

  // Ingest the real images.
  progress('ingest', 0, 1);
  const ingested = await replies.request(
    IngestRequested.create(
      {
        source: { kind: 'auto', path: options.data },
        output: { bucket, prefix: `datasets/${runId}/${datasetName(options.data)}/` },
        size: preset.size,
        split: preset.split,
        seed: preset.seed,
        tenants: null,
      },
      caused,
    ),
    DatasetIngested,
    timeout,
  );
  const real = ingested.data.dataset;
  const realDir = await options.fetchFolder(real);
  const realManifest = await readManifest(realDir);
  progress('ingest', 1, 1, `${ingested.data.accepted} accepted, ${ingested.data.quarantined} quarantined`);

  // Train the GANs (the trainer takes them one by one; published together so a cluster runs them in parallel).
  const trainings = preset.models.map((m) =>
    replies.request(
      TrainingRequested.create(
        {
          run: m.run,
          dataset: real,
          classFilter: m.classFilter,
          config: { ...preset.gan, cond: m.classFilter === null, aug: m.aug, seed: preset.seed },
          output: { bucket, prefix: `${prefix}gans/${m.run}/` },
        },
        caused,
      ),
      TrainingCompleted,
      timeout,
    ),
  );
  const trained = await Promise.all(trainings);
  for (const t of trained) {
    const bytes = await options.store.getBytes(t.data.history.bucket, t.data.history.key);
    history.set(t.data.run, JSON.parse(bytes.toString('utf8')) as TickRecord[]);
  }

  // Generate a synthetic dataset per model.
  const labelsOf = (classFilter: number | null) => (classFilter === null ? realManifest.labels.map((_, i) => i) : [classFilter]);
  const generated = await Promise.all(
    preset.models.map((m, i) =>
      replies.request(
        GenerationRequested.create(
          {
            checkpoint: trained[i]!.data.checkpoint,
            perClass: Object.fromEntries(labelsOf(m.classFilter).map((c) => [String(c), preset.generatePerClass])),
            seed: preset.seed,
            truncation: preset.truncation,
            output: { bucket, prefix: `synthetic/${runId}/${m.run}/` },
            name: `synthetic-${m.run}`,
          },
          caused,
        ),
        DatasetGenerated,
        timeout,
      ),
    ),
  );
  const synthByModel = new Map(preset.models.map((m, i) => [m.model, generated[i]!.data.dataset] as const));

  // Fidelity and diversity per model, against the real training images of the same class(es).
  progress('metrics', 0, preset.models.length);
  /** A synthetic set scored against the real training images (of one class, or all). */
  const evaluate = (name: string, fake: FolderRef, realClass: number | null) =>
    replies.request(
      EvaluationRequested.create(
        { name, real, realSplit: 'train', realClass, fake, extractor: preset.extractor, metrics: preset.metrics, options: preset.metricOptions },
        caused,
      ),
      EvaluationCompleted,
      timeout,
    );
  const evaluations = await Promise.all(preset.models.map((m) => evaluate(m.model, synthByModel.get(m.model)!, m.classFilter)));
  progress('metrics', preset.models.length, preset.models.length);

  // Utility: the classifier on real / synthetic / real + synthetic, tested on the real test split.
  const utilities: UtilityResult[] = [];
  for (const [i, spec] of preset.utility.entries()) {
    progress('utility', i, preset.utility.length, spec.name);
    const reply = await replies.request(
      UtilityRequested.create(
        {
          name: spec.name,
          scenario: spec.scenario,
          real,
          synth: spec.synthFrom.map((model) => synthByModel.get(model)!),
          config: { ...preset.classifier, ...(spec.synthClasses ? { synthClasses: spec.synthClasses } : {}) },
          output: { bucket, prefix: `${prefix}classifiers/${spec.name}/` },
        },
        caused,
      ),
      UtilityCompleted,
      timeout,
    );
    utilities.push({ name: spec.name, scenario: spec.scenario, measures: reply.data.measures, provenance: reply.data.provenance });
  }
  progress('utility', preset.utility.length, preset.utility.length);

  // The federated GAN: the same images split across hospitals, FedAvg every k iterations.
  const federation = preset.federation && options.federation ? await federatedGan() : null;

  // Sample grids and the report.
  const gans: GanResult[] = [];
  for (const [i, m] of preset.models.entries()) {
    const dir = await options.fetchFolder(synthByModel.get(m.model)!);
    const grid = await writeGrid(dir, await readManifest(dir), undefined, join(out, 'assets', `${m.run}.png`));
    gans.push({
      model: m.model,
      run: m.run,
      conditional: m.classFilter === null,
      classFilter: m.classFilter,
      config: { ...preset.gan, aug: m.aug },
      kimg: trained[i]!.data.kimg,
      wallSeconds: trained[i]!.data.wallSeconds,
      history: history.get(m.run) ?? [],
      grid: grid ? `assets/${m.run}.png` : null,
    });
  }
  const realGrids = [];
  for (const [label, name] of realManifest.labels.entries()) {
    const file = `assets/real-${label}.png`;
    if (await writeGrid(realDir, realManifest, label, join(out, file))) realGrids.push({ label: name, grid: file });
  }
  const fidelity: FidelityResult[] = evaluations.map((e) => ({ model: e.data.name, scores: e.data.scores, provenance: e.data.provenance }));

  async function federatedGan(): Promise<Record<string, unknown>> {
    const spec = preset.federation!;
    const started = Date.now();
    progress('federate', 0, spec.rounds, 'ingest by tenant');
    const partitioned = await replies.request(
      IngestRequested.create(
        {
          source: { kind: 'auto', path: options.data },
          output: { bucket, prefix: `datasets/${runId}/${datasetName(options.data)}-tenants/` },
          size: preset.size,
          split: preset.split,
          seed: preset.seed,
          tenants: spec.tenants,
        },
        caused,
      ),
      DatasetIngested,
      timeout,
    );
    const manifest = await readManifest(await options.fetchFolder(partitioned.data.dataset));
    const tenants = (manifest.tenants ?? []).map((t) => t.name);
    const missing = tenants.filter((t) => !options.federation!.publicKeys[t]);
    if (missing.length > 0) throw new StudyStepError(`federated GAN: no public key for tenant(s) ${missing.join(', ')}; start their agents first`);
    // What each tenant trains on (its FedAvg weight; under secure aggregation announced before training).
    const samples = Object.fromEntries(tenants.map((t) => [t, selectImages(manifest, { tenant: t, split: ['train', 'all'] }).length]));
    const { kimg: _kimg, tickKimg: _tick, ...gan } = preset.gan;
    const training: FederatedGanTrainingOptions = { ...gan, cond: false, aug: 'bgc', seed: preset.seed };
    const fed = await runFederation({
      bus,
      id: `${runId}-federation`,
      tenants: tenants.map((tenant) => ({ tenant, dataset: partitioned.data.dataset, publicKey: options.federation!.publicKeys[tenant]!, samples: samples[tenant]! })),
      rounds: spec.rounds,
      k: spec.k,
      strategy: spec.strategy,
      secagg: spec.secagg,
      training,
      output: { bucket, prefix: `${prefix}federation/` },
      timeoutMs: timeout,
      onRound: (r) => progress('federate', r.round, spec.rounds, `accepted ${r.accepted.length}, dropped ${r.dropped.length}, rejected ${r.rejected.length}`),
    });
    const checkpoint = await options.federation!.toCheckpoint(fed.global, training, { bucket, prefix: `${prefix}federation/checkpoint/` });
    const generatedFed = await replies.request(
      GenerationRequested.create(
        {
          checkpoint,
          perClass: { '0': preset.generatePerClass * realManifest.labels.length },
          seed: preset.seed,
          truncation: preset.truncation,
          output: { bucket, prefix: `synthetic/${runId}/federated/` },
          name: 'synthetic-federated',
        },
        caused,
      ),
      DatasetGenerated,
      timeout,
    );
    const evaluation = await evaluate('federated GAN', generatedFed.data.dataset, null);
    const dir = await options.fetchFolder(generatedFed.data.dataset);
    const grid = (await writeGrid(dir, await readManifest(dir), undefined, join(out, 'assets', 'federated.png'))) ? 'assets/federated.png' : null;
    const central = evaluations.find((e) => e.data.name === 'cGAN (ADA)')?.data.scores ?? null;
    const key = Object.keys(evaluation.data.scores).find((k) => k === 'fid' || k.startsWith('fd_'));
    return {
      model: 'federated GAN (unconditional, FedAvg)',
      tenants: manifest.tenants,
      tenantImages: samples,
      secagg: spec.secagg,
      rounds: fed.rounds.map(roundRow),
      k: spec.k,
      strategy: spec.strategy,
      training,
      // What "the same total iterations" compares: the central GAN's steps vs the tenants' summed ones.
      iterations: {
        central: Math.round((preset.gan.kimg * 1000) / Number(preset.gan.batch ?? 16)),
        federatedTotal: spec.rounds * spec.k * tenants.length,
        perTenant: spec.rounds * spec.k,
      },
      scores: evaluation.data.scores,
      provenance: evaluation.data.provenance,
      central: central ? { model: 'cGAN (ADA)', scores: central } : null,
      distanceKey: key ?? null,
      ratioToCentral: key && central?.[key] ? evaluation.data.scores[key]! / central[key]! : null,
      grid,
      wallSeconds: (Date.now() - started) / 1000,
    };
  }

  const finishedAt = new Date();
  const results = StudyResults.parse({
    format: STUDY_FORMAT,
    preset,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    wallSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    data: {
      name: realManifest.name,
      fingerprint: realManifest.fingerprint,
      size: realManifest.size,
      labels: realManifest.labels,
      counts: countImages(realManifest),
    },
    provenance: {
      runId,
      dermaganVersion: DERMAGAN_VERSION,
      node: process.version,
      dataFingerprint: realManifest.fingerprint,
      seed: preset.seed,
      ...options.environment,
    },
    gans,
    fidelity,
    utility: utilities,
    realGrids,
    federation,
  });
  stopWatching();
  const resultsPath = join(out, 'results.json');
  const reportPath = join(out, 'report.html');
  await writeFile(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(reportPath, await renderReport(results, out));
  return { results, resultsPath, reportPath };
}

/** One round as the report tabulates it. */
function roundRow(r: RoundSummary): Record<string, unknown> {
  return {
    round: r.round,
    attempt: r.attempt,
    participants: r.participants,
    accepted: r.accepted,
    dropped: r.dropped,
    rejected: r.rejected.map((x) => `${x.tenant}: ${x.reason}`),
    aggregated: r.aggregated,
    updateNorms: r.updateNorms,
  };
}

/** `…/derm-sample/metadata.csv` → `derm-sample`; a folder → its name. */
function datasetName(data: string): string {
  const parts = data.replace(/\/+$/, '').split('/');
  const last = parts.at(-1) ?? 'data';
  const name = last.endsWith('.csv') ? (parts.at(-2) ?? last.slice(0, -4)) : last;
  return name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'data';
}

function fmt(value: number | undefined): string {
  return value === undefined ? '—' : value.toFixed(3);
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
  await writeFile(file, await gridPng(batch.pixels, batch.size, entries.length, 8, Math.max(1, Math.round(64 / batch.size))));
  return true;
}
