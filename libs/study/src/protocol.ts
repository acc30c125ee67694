/**
 * The paper's protocol as named steps (steps/index.ts), run by publishing the events the services
 * consume — so the embedded run (memory bus, local store, services in-process) and the cluster run
 * (Kafka, S3, services in pods) are one code path:
 *
 *   ingest → train ben-GAN, mal-GAN, cGAN → generate → fidelity per model → classifier on
 *   real / synth / real+synth; ingest by tenant → the federated GAN → its checkpoint, samples and
 *   scores → results.json + report.html
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventBus } from '@dermagan/bus';
import {
  ArtifactPrefix, AuditCompleted, CheckpointSaved, DatasetGenerated, DatasetIngested, EvaluationCompleted, FederationCheckpointSaved, TrainingCompleted, TrainingProgress,
  ExplanationCompleted, PplCompleted, UtilityCompleted, type FolderRef,
} from '@dermagan/contracts';
import { claimOutputFolder, writeFileAtomic } from '@dermagan/safe-io';
import type { ObjectStore } from '@dermagan/store';
import type { SurveyExport } from '@dermagan/survey';
import type { StudyFederationSetting } from './federated.ts';
import type { StudyPreset } from './presets.ts';
import { renderReport } from './report/html.ts';
import { Replies, StudyStepError } from './replies.ts';
import type { StudyResults } from './results.ts';
import { MemoryLedger, type StudyLedger } from './ledger.ts';
import { runSteps, StudyInterruptedError, type StepEvent } from './runner.ts';
import type { StepContext, StudyStep } from './step.ts';
import { newStudyRunId, STUDY_FOLDER } from './study-state.ts';
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
  /** Told when a step is reused, resumed (where), started (why afresh, when it had a result) or done. */
  onStep?: (step: string, event: StepEvent, detail?: string) => void;
  /** Study run id (default: a new one); names the store prefixes and the reply consumer group. */
  runId?: string;
  /** Aborted = stop: no new steps, and runStudy rejects with StudyInterruptedError (the caller stops the services). */
  signal?: AbortSignal;
  /** What the federated part needs from its setting; absent = the federated part is skipped. */
  federation?: StudyFederationSetting;
  /** The study's steps (default: every step of the preset, steps/index.ts). */
  steps?: StudyStep[];
  /** Where step results and the study's runs are kept (default: in memory, for this run only; study-state.ts opens the one in the store). */
  ledger?: StudyLedger;
  /** The expert survey's results as the portal exports them (GET /api/surveys/:id/results); absent = the report says no survey ran. */
  survey?: SurveyExport;
}

export interface StudyOutcome {
  results: StudyResults;
  resultsPath: string;
  reportPath: string;
}

export async function runStudy(options: StudyOptions): Promise<StudyOutcome> {
  const { preset, bus, bucket, out } = options;
  const runId = options.runId ?? newStudyRunId();
  const ledger = options.ledger ?? new MemoryLedger();
  const progress = options.onProgress ?? (() => {});
  const timeoutMs = preset.stepTimeoutS * 1000;
  const startedAt = new Date();
  await claimOutputFolder(out, STUDY_FOLDER);
  await mkdir(join(out, 'assets'), { recursive: true });
  await options.store.ensureBucket(bucket);

  const run = await ledger.startRun();

  // Listen for replies and progress (a group per run: a continued study reads the replies it missed while stopped).
  const replies = new Replies(bus, `study-${runId}-r${run}`);
  await replies.listen(
    [DatasetIngested, TrainingCompleted, DatasetGenerated, EvaluationCompleted, PplCompleted, UtilityCompleted, FederationCheckpointSaved, AuditCompleted, ExplanationCompleted],
    [
      {
        definition: TrainingProgress,
        handle: (e) => {
          // Only this study's trainings (a durable bus also holds other studies' progress).
          if (!e.causationid?.startsWith(`${runId}:`)) return;
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

  // On a durable bus a request an earlier run published is still there: the study waits for its
  // reply (re-attaches) and publishes nothing twice. A memory bus begins empty: everything is asked again.
  const attached = (id: string) => bus.kind === 'kafka' && ledger.published(id);

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
      silence: replies.silence,
      signal: options.signal ?? new AbortController().signal,
      result: (name, schema) => {
        if (!step.needs.includes(name)) throw new StudyStepError(`study step ${step.name} reads ${name}, which it does not list in needs`);
        return schema.parse(results.get(name));
      },
      request: (name, make, reply) => {
        const event = make({ id: `${runId}:${step.name}:${tag}:${name}`, runid: runId, source: '/dermagan/study' });
        return replies.request(event, reply, timeoutMs, { publish: !attached(event.id), onPublished: () => ledger.publish(event.id) });
      },
      publishOnce: async (event) => {
        if (attached(event.id)) return;
        await bus.publish(event);
        await ledger.publish(event.id);
      },
      fetchFolder: options.fetchFolder,
      progress: (done, total, status) => progress(step.name, done, total, status),
    };
  };
  const counts = { reused: 0, done: 0 };
  let outcomes;
  try {
    outcomes = await runSteps(steps, {
      ledger,
      run,
      context,
      ...(options.signal ? { signal: options.signal } : {}),
      onStep: (step, event, detail) => {
        if (event === 'reused' || event === 'done') counts[event]++;
        options.onStep?.(step.name, event, detail);
      },
    });
  } catch (err) {
    await ledger.endRun(run, err instanceof StudyInterruptedError ? 'interrupted' : 'failed', counts);
    throw err;
  } finally {
    stopWatching();
    replies.close(new StudyInterruptedError([]));
  }
  await ledger.endRun(run, 'completed', counts);

  // results.json and the report.
  const results = await summarise({
    preset,
    outcomes,
    out,
    fetchFolder: options.fetchFolder,
    startedAt,
    finishedAt: new Date(),
    provenance: { runId, ...options.environment, runs: ledger.runs() },
    survey: options.survey ?? null,
  });
  const resultsPath = join(out, 'results.json');
  const reportPath = join(out, 'report.html');
  const json = `${JSON.stringify(results, null, 2)}\n`;
  await writeFileAtomic(resultsPath, json);
  const report = await renderReport(results, out, steps, options.fetchFolder);
  await writeFileAtomic(reportPath, report);
  // The store's copy, where the portal serves it (reports/<runId>/).
  await options.store.put(bucket, `${ArtifactPrefix.reports}${runId}/results.json`, json, { contentType: 'application/json' });
  await options.store.put(bucket, `${ArtifactPrefix.reports}${runId}/report.html`, report, { contentType: 'text/html; charset=utf-8' });
  return { results, resultsPath, reportPath };
}

function fmt(value: number | undefined): string {
  return value === undefined ? '—' : value.toFixed(3);
}
