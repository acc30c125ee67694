/**
 * The paper's protocol as named steps (steps/index.ts), run by publishing the events the services
 * consume — so the embedded run (memory bus, local store, services in-process) and the cluster run
 * (Kafka, S3, services in pods) are one code path:
 *
 *   ingest → train ben-GAN, mal-GAN, cGAN → generate → fidelity per model → classifier on
 *   real / synth / real+synth; ingest by tenant → the federated GAN → its checkpoint, samples and
 *   scores → results.json + report.html
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventBus } from '@dermagan/bus';
import {
  CheckpointSaved, DatasetGenerated, DatasetIngested, EvaluationCompleted, FederationCheckpointSaved, TrainingCompleted, TrainingProgress,
  UtilityCompleted, type FolderRef,
} from '@dermagan/contracts';
import { claimOutputFolder, runFolder } from '@dermagan/safe-io';
import type { ObjectStore } from '@dermagan/store';
import type { StudyPreset } from './presets.ts';
import { renderReport } from './report/html.ts';
import { Replies, StudyStepError } from './replies.ts';
import type { StudyResults } from './results.ts';
import { MemoryLedger, runSteps, type StepLedger } from './runner.ts';
import type { StepContext, StudyStep } from './step.ts';
import { planSteps } from './steps/index.ts';
import { summarise } from './summary.ts';

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
  /** Study run id (default: a new one); names the store prefixes and the reply consumer group. */
  runId?: string;
  /** What the federated part needs from its setting; absent = the federated part is skipped. */
  federation?: {
    /** Tenant id (`tenant-0`, …) → the Ed25519 public key (SPKI PEM) its updates are verified with. */
    publicKeys: Record<string, string>;
  };
  /** The study's steps (default: every step of the preset, steps/index.ts). */
  steps?: StudyStep[];
  /** Where step results are kept (default: in memory, for this run only). */
  ledger?: StepLedger;
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
  const progress = options.onProgress ?? (() => {});
  const timeoutMs = preset.stepTimeoutS * 1000;
  const startedAt = new Date();
  await claimOutputFolder(out, STUDY_FOLDER);
  await mkdir(join(out, 'assets'), { recursive: true });
  await options.store.ensureBucket(bucket);

  // Listen for replies and progress.
  const replies = new Replies(bus, `study-${runId}`);
  await replies.listen(
    [DatasetIngested, TrainingCompleted, DatasetGenerated, EvaluationCompleted, UtilityCompleted, FederationCheckpointSaved],
    [
      {
        definition: TrainingProgress,
        handle: (e) => {
          const d = TrainingProgress.parse(e).data;
          progress(`train:${d.run}`, d.kimg, d.totalKimg, `loss G ${fmt(d.stats.lossG)} D ${fmt(d.stats.lossD)} p ${fmt(d.stats.adaP)}`);
        },
      },
      { definition: CheckpointSaved, handle: () => {} },
    ],
  );
  // A request that a service gives up on (dead letter) fails the study with the service's reason.
  const stopWatching = bus.moments.on('deadLettered', (m) => {
    if (m.id) replies.fail(m.id, new StudyStepError(`${m.type} failed in service group "${m.group}" after ${m.attempts} attempt(s): ${m.reason}`));
  });

  // Run the steps.
  const steps = options.steps ?? planSteps({ preset, federation: options.federation !== undefined });
  const context = (step: StudyStep, key: string, results: ReadonlyMap<string, unknown>): StepContext => {
    const tag = key.slice(0, 8);
    return {
      preset,
      runId,
      bucket,
      prefix: `runs/${runId}/`,
      tag,
      data: options.data,
      bus,
      store: options.store,
      federation: options.federation ?? null,
      timeoutMs,
      result: (name, schema) => {
        if (!step.needs.includes(name)) throw new StudyStepError(`study step ${step.name} reads ${name}, which it does not list in needs`);
        return schema.parse(results.get(name));
      },
      request: (name, make, reply) => replies.request(make({ id: `${runId}:${step.name}:${tag}:${name}`, runid: runId, source: '/dermagan/study' }), reply, timeoutMs),
      fetchFolder: options.fetchFolder,
      progress: (done, total, status) => progress(step.name, done, total, status),
    };
  };
  let outcomes;
  try {
    outcomes = await runSteps(steps, { ledger: options.ledger ?? new MemoryLedger(), run: 0, context });
  } finally {
    stopWatching();
  }

  // results.json and the report.
  const results = await summarise({
    preset,
    outcomes,
    out,
    fetchFolder: options.fetchFolder,
    startedAt,
    finishedAt: new Date(),
    provenance: { runId, ...options.environment },
  });
  const resultsPath = join(out, 'results.json');
  const reportPath = join(out, 'report.html');
  await writeFile(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(reportPath, await renderReport(results, out, steps));
  return { results, resultsPath, reportPath };
}

function fmt(value: number | undefined): string {
  return value === undefined ? '—' : value.toFixed(3);
}
