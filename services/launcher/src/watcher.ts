/**
 * The launcher watches its training Jobs and says on the bus what each one does:
 *   a pod Running                         → `training.started` (attempt, Job, node, GPUs);
 *   unschedulable for pendingReportSeconds → `training.unschedulable` with the scheduler's reason
 *                                           (the Job stays: a node that appears still runs it);
 *   Complete                              → `training.completed` with the data its worker left in
 *                                           the store;
 *   Failed, retriable                     → a successor Job (attempt + 1) that resumes from the
 *                                           run's last checkpoint, up to maxSuccessors;
 *   Failed otherwise, or no successor left → `training.failed`.
 * What was published is written into the Job's annotations after publishing; event ids are fixed
 * per Job (`<job>/started`, …), so a launcher that dies in between republishes an event the
 * consumers drop as a duplicate. Reconciles on every watch event and every `resyncMs`.
 */
import type { V1Job } from '@kubernetes/client-node';
import {
  TRAINING_JOB, TrainingCompleted, TrainingFailed, TrainingRequested, TrainingStarted, TrainingUnschedulable, type DermaganEvent,
} from '@dermagan/contracts';
import type { ObjectStore } from '@dermagan/store';
import type { Logger } from 'pino';
import { ANNOTATIONS, jobState, reportedOf, workerEnv, type JobTemplate, type KubeJobs } from '@dermagan/kube';
import { buildTrainingJob, type TrainingRequestedData } from './job-spec.ts';
import { LAUNCHER_SOURCE } from './handlers.ts';
import type { LauncherMetrics } from './metrics.ts';

export interface WatcherDeps {
  jobs: KubeJobs;
  template: JobTemplate;
  store: ObjectStore;
  publish: (event: DermaganEvent<unknown>) => Promise<void>;
  logger: Logger;
  metrics?: LauncherMetrics;
  /** How often every Job is looked at again besides watch events (pending timeouts), ms. */
  resyncMs?: number;
  now?: () => number;
}

export class JobWatcher {
  private informer: ReturnType<KubeJobs['informer']> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(private readonly deps: WatcherDeps) {}

  async start(): Promise<void> {
    const informer = this.deps.jobs.informer();
    this.informer = informer;
    const onJob = (job: V1Job) => void this.reconcileSoon(job);
    informer.on('add', onJob);
    informer.on('update', onJob);
    informer.on('error', (err: unknown) => {
      if (this.stopped) return;
      this.deps.logger.warn({ err }, 'job watch failed; watching again in 2 s');
      setTimeout(() => void informer.start().catch(() => {}), 2000).unref();
    });
    await informer.start();
    this.timer = setInterval(() => {
      for (const job of informer.list()) void this.reconcileSoon(job);
    }, this.deps.resyncMs ?? 10_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.informer?.stop();
    await Promise.allSettled(this.inFlight.values());
  }

  /** One reconcile per Job at a time; a Job seen again while busy is looked at on the next event. */
  private reconcileSoon(job: V1Job): Promise<void> {
    const name = job.metadata!.name!;
    if (this.inFlight.has(name) || this.stopped) return Promise.resolve();
    const run = this.reconcile(name)
      .catch((err: unknown) => this.deps.logger.warn({ err, job: name }, 'reconciling a training Job failed; tried again at the next resync'))
      .finally(() => this.inFlight.delete(name));
    this.inFlight.set(name, run);
    return run;
  }

  /** Looks at one Job as it is now and publishes what is new. */
  async reconcile(name: string): Promise<void> {
    const { jobs, template, store, publish, logger, metrics } = this.deps;
    const job = await jobs.get(name).catch(() => undefined);
    if (!job || job.metadata?.deletionTimestamp) return; // cancelled or collected
    const reported = reportedOf(job);
    if (reported.includes('done')) return;
    const request = requestOf(job);
    const attempt = Number(job.metadata?.annotations?.[ANNOTATIONS.attempt] ?? '1');
    const gpus = Number(job.metadata?.annotations?.[ANNOTATIONS.gpus] ?? '0');
    const run = request.data.run;
    const opts = (what: string) => ({ source: LAUNCHER_SOURCE, causedBy: request, id: `${name}/${what}` });
    const state = jobState(job, await jobs.pods(name));
    const started = async (node: string | null) => {
      if (reported.includes('started')) return;
      await publish(TrainingStarted.create({ run, attempt, placement: { kind: 'job', namespace: jobs.namespace, job: name, node, gpus } }, opts('started')));
      reported.push('started');
      await jobs.markReported(name, 'started');
    };

    switch (state.phase) {
      case 'waiting': {
        const waitedSeconds = ((this.deps.now?.() ?? Date.now()) - state.since.getTime()) / 1000;
        if (state.unschedulable && !reported.includes('unschedulable') && waitedSeconds >= template.pendingReportSeconds) {
          await publish(TrainingUnschedulable.create({ run, namespace: jobs.namespace, job: name, gpus, message: state.unschedulable, waitedSeconds }, opts('unschedulable')));
          await jobs.markReported(name, 'unschedulable');
          metrics?.unschedulable.set({ run }, 1);
          logger.warn({ job: name, run, message: state.unschedulable }, 'training Job cannot be scheduled');
        }
        return;
      }
      case 'running':
        metrics?.unschedulable.set({ run }, 0);
        await started(state.node);
        return;
      case 'succeeded': {
        await started(null);
        const where = job.metadata?.annotations?.[ANNOTATIONS.result] ?? '';
        const [bucket, ...key] = where.split('/');
        let completed: DermaganEvent<unknown>;
        try {
          const data = JSON.parse((await store.getBytes(bucket!, key.join('/'))).toString('utf8')) as unknown;
          completed = TrainingCompleted.create(TrainingCompleted.schema.parse(data), opts('completed'));
        } catch (err) {
          completed = TrainingFailed.create({ run, reason: 'error', message: `Job ${name} succeeded but its result ${where} is missing or invalid: ${(err as Error).message}`, attempts: attempt }, opts('failed'));
        }
        await publish(completed);
        await jobs.markReported(name, 'done');
        return;
      }
      case 'failed': {
        metrics?.jobFailures.inc({ run });
        metrics?.unschedulable.set({ run }, 0);
        if (state.cause === 'retriable' && attempt <= template.maxSuccessors) {
          const successor = buildTrainingJob(request, attempt + 1, template);
          const { created } = await jobs.createOnce(successor);
          if (created) metrics?.jobsCreated.inc({ kind: 'successor' });
          logger.warn({ job: name, successor: successor.metadata!.name, created, run, message: state.message }, 'training Job failed; a successor resumes from the last checkpoint');
        } else {
          const reason = state.cause === 'invalid-request' ? 'invalid-request' : 'attempts-exhausted';
          metrics?.runsFailed.inc({ reason });
          await publish(TrainingFailed.create({ run, reason, message: `Job ${name}: ${state.message}`, attempts: attempt }, opts('failed')));
        }
        await jobs.markReported(name, 'done');
        return;
      }
    }
  }
}

/** The request a Job was made for, from its worker's environment (the Job is its own record). */
export function requestOf(job: V1Job): DermaganEvent<TrainingRequestedData> {
  const value = workerEnv(job, TRAINING_JOB.requestEnv);
  if (!value) throw new Error(`Job ${job.metadata?.name} has no ${TRAINING_JOB.requestEnv}`);
  return TrainingRequested.parse(JSON.parse(value));
}
