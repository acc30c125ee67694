/**
 * The gan-trainer's work, like NVlabs' training_loop() seen from the bus:
 *   `training.requested` → fetch the dataset → train StyleGAN2-ADA in ticks, each tick checkpointed
 *   to the store (`checkpoint.saved`) and reported (`training.progress`) → `training.completed`.
 * A trainer killed mid-run and handed the request again (redelivery) continues from its last
 * checkpoint in the store: same kimg, p, optimiser moments and RNG; nothing is trained twice beyond
 * the last tick.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Subscription } from '@dermagan/bus';
import {
  CheckpointSaved, ContractError, TrainingCancelled, TrainingCancelRequested, TrainingCompleted, TrainingFailed, TrainingProgress, TrainingRequested, TrainingStarted,
  type DermaganEvent, type FolderRef,
} from '@dermagan/contracts';
import { FolderCheckpointSink, parseFidMetric, readCheckpoint, runTraining, StoreCheckpointSink, type TickStats, type TrainRunOptions } from '@dermagan/gan';
import { snapshotFidScorer } from '@dermagan/metrics';
import type { FolderCache } from '@dermagan/runtime';
import type { ObjectStore } from '@dermagan/store';
import type { TfBackend } from '@dermagan/tf';
import type { z } from 'zod';
import { InProcessRuns } from './in-process-runs.ts';

export type TrainingRequestedData = z.output<typeof TrainingRequested.schema>;

/** One tick as the report plots it. */
export interface HistoryRecord {
  kimg: number;
  [stat: string]: number | null;
}

export function historyRecord(s: TickStats): HistoryRecord {
  const l = s.losses;
  return {
    kimg: s.kimg,
    tick: s.tick,
    lossG: l['Loss/G/loss'] ?? null,
    lossD: l['Loss/D/loss'] ?? null,
    r1: l['Loss/r1_penalty'] ?? null,
    pl: l['Loss/pl_penalty'] ?? null,
    scoreReal: l['Loss/scores/real'] ?? null,
    scoreFake: l['Loss/scores/fake'] ?? null,
    adaP: s.p,
    rt: s.rt,
    kimgPerSec: s.kimgPerSec,
    secPerKimg: s.secPerKimg,
    rssBytes: s.memory.rssBytes,
  };
}

export interface TrainerDeps {
  store: ObjectStore;
  folders: FolderCache;
  /** Local work folder. */
  workDir: string;
  /** The tfjs backend the wiring loaded (the service's DERMAGAN_TF_BACKEND setting). */
  backend: TfBackend;
  /** Each tick's record, and the kimg the run trains to. */
  onTick?: (run: string, record: HistoryRecord, totalKimg: number) => void;
  /** A snapshot metric (fid5k) as it is computed (Prometheus). */
  onScore?: (run: string, metric: string, value: number) => void;
}

export const TRAINER_SOURCE = '/dermagan/gan-trainer';

export async function handleTrainingRequested(
  event: DermaganEvent<TrainingRequestedData>,
  deps: TrainerDeps,
  publish: (event: DermaganEvent<unknown>) => Promise<void>,
  signal?: AbortSignal,
) {
  const request = event.data;
  const config = request.config;
  const started = Date.now();
  const output = { bucket: request.output.bucket, prefix: `${request.output.prefix.replace(/\/+$/, '')}/` };
  const work = join(deps.workDir, `train-${request.run}-${event.id}`);
  await mkdir(work, { recursive: true });

  // Load training set.
  const data = await deps.folders.fetch(request.dataset);

  // Resume from the store's last checkpoint when this run was interrupted.
  const sink: StoreCheckpointSink = new StoreCheckpointSink(deps.store, { bucket: output.bucket, prefix: `${output.prefix}checkpoint/` }, (ref) =>
    publish(CheckpointSaved.create({ run: request.run, checkpoint: ref, kimg: latestKimg }, { source: TRAINER_SOURCE, causedBy: event })),
  );
  const historyKey = `${output.prefix}history.json`;
  const history: HistoryRecord[] = (await deps.store.stat(output.bucket, historyKey))
    ? (JSON.parse((await deps.store.getBytes(output.bucket, historyKey)).toString('utf8')) as HistoryRecord[])
    : [];
  let resume: string | undefined;
  let resumedFromKimg: number | null = null;
  if (await sink.latest()) {
    resume = join(work, 'resume');
    const files = await sink.load();
    await new FolderCheckpointSink(resume).save(files);
    resumedFromKimg = readCheckpoint(files, sink.location).meta.counters.curNimg / 1000;
  }
  // Ticks after the checkpoint (the history got ahead of it, or a run was killed before its first
  // checkpoint) are trained again: drop them.
  while (history.length > 0 && history.at(-1)!.kimg > (resumedFromKimg ?? 0)) history.pop();
  let latestKimg = resumedFromKimg ?? 0;

  // Train, a checkpoint and a progress event per tick.
  const { tf, info } = deps.backend;
  const options: TrainRunOptions = {
    data,
    out: join(work, 'out'),
    options: config,
    snapshotTicks: 1,
    ...(request.classFilter === null ? {} : { classFilter: request.classFilter }),
    ...(resume ? { resume } : {}),
  };
  const pending: Promise<unknown>[] = [];
  // History writes go one after another, each with the history as it is then: an older one never lands last.
  let historyWritten: Promise<unknown> = Promise.resolve();
  const saveHistory = () => {
    historyWritten = historyWritten.catch(() => undefined).then(() => deps.store.put(output.bucket, historyKey, JSON.stringify(history), { contentType: 'application/json' }));
    return historyWritten;
  };
  const result = await runTraining(tf, info as unknown as Record<string, unknown>, options, {
    // A tick's checkpoint lands after its history record, so a resumed run's history has every tick up to it.
    sink: {
      location: sink.location,
      load: () => sink.load(),
      save: async (files) => {
        await historyWritten.catch(() => undefined);
        await sink.save(files);
      },
    },
    ...(signal ? { signal } : {}),
    snapshotScorers: async (real) => {
      const set = { pixels: real.pixels, n: real.count, size: real.resolution, fingerprint: real.fingerprint, selection: JSON.stringify({ split: real.provenance.split ?? null, classes: real.provenance.classes ?? null }) };
      return Promise.all(request.snapshotMetrics.metrics.map((m) => snapshotFidScorer(tf, set, parseFidMetric(m)!, { preprocessing: request.snapshotMetrics.preprocessing })));
    },
    onScore: (score) => {
      // The score belongs to the tick that ended at this snapshot: it joins that history record (the report's curves).
      const record = history.at(-1);
      if (record && record.kimg === score.kimg) record[score.name] = score.value;
      deps.onScore?.(request.run, score.name, score.value);
      pending.push(
        saveHistory(),
        publish(
          TrainingProgress.create(
            { run: request.run, kimg: score.kimg, totalKimg: config.kimg, stats: { [score.name]: score.value } },
            { source: TRAINER_SOURCE, causedBy: event },
          ),
        ),
      );
    },
    onTick: (s) => {
      latestKimg = s.kimg;
      const record = historyRecord(s);
      history.push(record);
      deps.onTick?.(request.run, record, config.kimg);
      pending.push(
        saveHistory(),
        publish(
          TrainingProgress.create(
            { run: request.run, kimg: s.kimg, totalKimg: config.kimg, stats: numbersOf(record) },
            { source: TRAINER_SOURCE, causedBy: event },
          ),
        ),
      );
    },
  });
  await Promise.all(pending);
  if (result.stopped === 'aborted') {
    // Shutting down: the last tick is checkpointed; throwing hands the request back for redelivery.
    throw Object.assign(new Error(`training ${request.run} interrupted at ${result.kimg.toFixed(2)} kimg; it resumes from the checkpoint`), { retriable: true });
  }

  // Announce the final checkpoint and the curves.
  const checkpoint = (await sink.latest()) as FolderRef;
  const historyRef = await deps.store.put(output.bucket, historyKey, JSON.stringify(history), { contentType: 'application/json' });
  await rm(work, { recursive: true, force: true });
  return TrainingCompleted.create(
    { run: request.run, checkpoint, kimg: result.kimg, history: historyRef, resumedFromKimg, wallSeconds: (Date.now() - started) / 1000 },
    { source: TRAINER_SOURCE, causedBy: event },
  );
}

function numbersOf(record: HistoryRecord): Record<string, number> {
  return Object.fromEntries(Object.entries(record).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])));
}

/**
 * The in-process trainer (embedded default, services on one machine): the same lifecycle events as
 * the launcher's training Jobs — `training.started`, then `training.completed`, or
 * `training.failed` when the request is refused or the run fails for good; and
 * `training.cancel.requested` → the run stops at its next step, its last checkpoint kept →
 * `training.cancelled` (with no Jobs: there are none here). A cancel reaches one consumer of its
 * group, so this answers for one in-process trainer (the embedded default, or the chart's single
 * gan-trainer replica); a cluster trains as Jobs, which the launcher cancels.
 */
export function trainerSubscriptions(deps: TrainerDeps): Subscription<unknown>[] {
  const runs = new InProcessRuns();
  const train: Subscription<TrainingRequestedData> = {
    group: 'gan-trainer',
    types: [TrainingRequested.type],
    parse: (raw) => TrainingRequested.parse(raw),
    handler: async (event, context) => {
      const run = event.data.run;
      const opts = (what: string) => ({ source: TRAINER_SOURCE, causedBy: event, id: `${event.id}/${what}` });
      await context.publish(TrainingStarted.create({ run, attempt: 1, placement: { kind: 'in-process', service: 'gan-trainer' } }, opts('started')));
      await runs.track(run, context.signal, async (signal, cancelled) => {
        try {
          await context.publish(await handleTrainingRequested(event, deps, context.publish, signal));
        } catch (err) {
          // Cancelled: done with this request (not handed back); the checkpoint stays for a later one.
          if (cancelled()) return;
          if ((err as { retriable?: boolean }).retriable === false) {
            const reason = err instanceof ContractError ? 'invalid-request' : 'error';
            await context.publish(TrainingFailed.create({ run, reason, message: (err as Error).message, attempts: context.attempt }, opts('failed')));
          }
          throw err;
        }
      });
    },
  };
  const cancel: Subscription<z.output<typeof TrainingCancelRequested.schema>> = {
    group: 'gan-trainer-cancel',
    types: [TrainingCancelRequested.type],
    parse: (raw) => TrainingCancelRequested.parse(raw),
    handler: async (event, context) => {
      const run = event.data.run;
      // Said once the run has stopped, its last checkpoint written.
      await runs.cancel(run);
      await context.publish(TrainingCancelled.create({ run, jobs: [] }, { source: TRAINER_SOURCE, causedBy: event }));
    },
  };
  return [train, cancel] as Subscription<unknown>[];
}
