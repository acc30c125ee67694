/**
 * GPU training as Kubernetes Jobs, on the real control plane with a GPU and a CPU pool of kwok
 * nodes, the real Kafka broker and the real S3 server of the global setup. The launcher runs
 * in-process with the Job template the chart renders; the Job's worker (the gan-trainer's
 * job-main) runs in-process too, with the Job's own environment, as its container would — kwok
 * runs no container, so the test tells kwok how each pod ends (the annotation kwok-stages.yaml
 * reads) once the worker has.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import pino from 'pino';
import { loadTf } from '@dermagan/tf';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KafkaBus } from '@dermagan/bus';
import {
  CheckpointSaved, DatasetIngested, IngestRequested, TRAINING_JOB, TrainingCancelled, TrainingCancelRequested, TrainingCompleted, TrainingFailed,
  TrainingRequested, TrainingStarted, TrainingUnschedulable, type DermaganEvent, type FolderRef, type GanTrainingOptions,
} from '@dermagan/contracts';
import { FolderCache } from '@dermagan/runtime';
import { runTrainingJob } from '@dermagan/service-gan-trainer';
import { KubeJobs, readJobTemplate, type JobTemplate } from '@dermagan/kube';
import { JobWatcher, launchTraining, launcherSubscriptions, MANAGED_BY, trainingJobName } from '@dermagan/service-launcher';
import { s3StoreFromEnv, type ObjectStore } from '@dermagan/store';
import { PRESETS } from '@dermagan/study';
import { startEmbeddedServices } from '../cli/embedded-services.ts';
import { chartJobTemplateJson } from './helpers/chart.ts';
import { eventually, kube, restrictedNamespace } from './helpers/kube.ts';

const backend = await loadTf();

const DEMO = new URL('../data/demo/metadata.csv', import.meta.url).pathname;
const BUCKET = 'launcher-test';
const logger = pino({ level: 'warn' });

let namespace: string;
let template: JobTemplate;
let jobs: KubeJobs;
let bus: KafkaBus;
let store: ObjectStore;
let watcher: JobWatcher;
let work: string;
let dataset: FolderRef;
const seen: DermaganEvent<{ run: string }>[] = [];

/** The Job template exactly as the chart renders it, in this test's namespace, with short waits. */
async function chartJobTemplate(): Promise<JobTemplate> {
  return readJobTemplate(await chartJobTemplateJson(namespace, ['training.backoffLimit=0', 'training.maxSuccessors=1', 'training.pendingReportSeconds=2']), 'DERMAGAN_LAUNCHER_JOB_TEMPLATE');
}

function eventsOf<T>(type: { type: string }, run: string): DermaganEvent<T & { run: string }>[] {
  return seen.filter((e) => e.type === type.type && e.data.run === run) as DermaganEvent<T & { run: string }>[];
}

const podsOf = async (job: string): Promise<V1Pod[]> => (await kube().core.listNamespacedPod({ namespace, labelSelector: `batch.kubernetes.io/job-name=${job}` })).items;
const livePod = (job: string) => eventually(`a Running pod of ${job}`, async () => (await podsOf(job)).find((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp));
const jobOf = (name: string): Promise<V1Job> => kube().batch.readNamespacedJob({ namespace, name });
const envOf = (job: V1Job, name: string) => job.spec!.template.spec!.containers[0]!.env!.find((e) => e.name === name)!.value!;

/** Tell kwok how the pod's container ended (its exit code), as a kubelet would report it. */
async function endPod(pod: V1Pod, exitCode: number): Promise<void> {
  await kube().core.patchNamespacedPod(
    { name: pod.metadata!.name!, namespace, body: { metadata: { annotations: { 'dermagan.dev/kwok-exit': String(exitCode) } } } },
    (await import('@kubernetes/client-node')).setHeaderOptions('Content-Type', 'application/merge-patch+json'),
  );
}

/** A freshly started broker may still be electing leaders for new topics: retry what says it is retriable. */
async function retrying<T>(what: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await what();
    } catch (err) {
      if (!(err as { retriable?: boolean }).retriable || attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

function request(run: string, config: GanTrainingOptions, gpus?: number) {
  return TrainingRequested.create({ run, dataset, classFilter: null, config, output: { bucket: BUCKET, prefix: `runs/launcher/${run}/` }, ...(gpus === undefined ? {} : { gpus }) });
}

/** The worker of a Job, run here with the Job's environment (as its container would run it). */
async function runWorker(job: V1Job, signal?: AbortSignal) {
  return runTrainingJob(envOf(job, TRAINING_JOB.requestEnv), {
    store,
    backend,
    folders: new FolderCache(store, join(work, 'folders')),
    workDir: join(work, job.metadata!.name!),
    publish: (e) => bus.publish(e),
    ...(signal ? { signal } : {}),
  });
}

beforeAll(async () => {
  const env = inject('serverEnv');
  namespace = await restrictedNamespace('training');
  template = await chartJobTemplate();
  jobs = new KubeJobs(kube().kc, namespace, MANAGED_BY);
  work = await mkdtemp(join(tmpdir(), 'launcher-test-'));
  store = s3StoreFromEnv(env)!;
  await store.ensureBucket(BUCKET);
  bus = new KafkaBus({ brokers: env.DERMAGAN_KAFKA_BROKERS!.split(','), clientId: 'launcher-test', sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 });
  await bus.start();

  // A small dataset in S3, ingested by the ingest handler.
  await startEmbeddedServices({ backend, bus, store, workDir: join(work, 'ingest'), services: ['ingest'] });
  dataset = await new Promise<FolderRef>((resolve, reject) => {
    bus
      .subscribe({ group: 'launcher-test-ingest', types: [DatasetIngested.type], parse: (r) => DatasetIngested.parse(r), handler: async (e) => { if (e.data.dataset.bucket === BUCKET) resolve(e.data.dataset); } })
      .then(() => bus.publish(IngestRequested.create({ source: { kind: 'auto', path: DEMO }, output: { bucket: BUCKET, prefix: 'datasets/demo16/' }, size: 16, split: 0.8, seed: 0, tenants: null })))
      .catch(reject);
  });

  // The launcher: its two subscriptions and its Job watcher (fast resync for the pending timeout).
  for (const s of launcherSubscriptions({ jobs, template })) await retrying(() => bus.subscribe(s));
  watcher = new JobWatcher({ jobs, template, store, publish: (e) => bus.publish(e), logger, resyncMs: 500 });
  await watcher.start();
  const types = [TrainingStarted, TrainingCompleted, TrainingFailed, TrainingUnschedulable, TrainingCancelled, CheckpointSaved];
  await retrying(() => bus.subscribe({ group: 'launcher-test-observer', types: types.map((t) => t.type), parse: (raw) => types.find((t) => t.is(raw as { type: string }))!.parse(raw) as DermaganEvent<{ run: string }>, handler: async (e) => void seen.push(e) }));
});

afterAll(async () => {
  await watcher?.stop();
  await bus?.close();
});

describe('training as Kubernetes Jobs', () => {
  it('makes one Job per request on a GPU node, even when the request comes again, and says where it started', async () => {
    const event = request('once', { ...PRESETS.smoke.gan, kimg: 0.032 });
    await bus.publish(event);
    const name = trainingJobName('once', event.id, 1);
    const job = await eventually('the Job', () => jobOf(name));
    // A redelivery (the same event) finds the Job by its name: no second one.
    expect(await launchTraining(event, { jobs, template })).toEqual({ job: name, created: false });
    expect((await kube().batch.listNamespacedJob({ namespace, labelSelector: 'dermagan.org/run=once' })).items).toHaveLength(1);
    // On the GPU pool, with its GPU, linked to its run.
    const pod = await livePod(name);
    expect(pod.spec!.nodeName).toMatch(/^gpu-node-/);
    expect(pod.spec!.containers[0]!.resources!.limits!['nvidia.com/gpu']).toBe('1');
    expect(job.metadata!.labels).toMatchObject({ 'dermagan.org/run': 'once', 'app.kubernetes.io/component': 'training' });
    expect(job.spec!.backoffLimit).toBe(0);
    const started = await eventually('training.started', async () => eventsOf<{ attempt: number; placement: { kind: string; job: string; node: string } }>(TrainingStarted, 'once')[0]);
    expect(started.data).toMatchObject({ attempt: 1, placement: { kind: 'job', job: name, node: pod.spec!.nodeName, gpus: 1 } });
    expect(started.id).toBe(`${name}/started`);
  });

  it('survives an eviction, then a crash: the successor Job resumes from the last checkpoint and the launcher publishes completed', async () => {
    const event = request('resumed', { ...PRESETS.smoke.gan, kimg: 0.096 });
    await bus.publish(event);
    const first = trainingJobName('resumed', event.id, 1);
    const evicted = await livePod(first);

    // An eviction (drain, preemption) is a disruption: the Job replaces the pod without counting it.
    await kube().core.createNamespacedPodEviction({ name: evicted.metadata!.name!, namespace, body: { metadata: { name: evicted.metadata!.name!, namespace } } });
    const replacement = await eventually('a replacement pod', async () => (await podsOf(first)).find((p) => p.metadata!.name !== evicted.metadata!.name && p.status?.phase === 'Running'));
    expect((await jobOf(first)).status?.conditions?.some((c) => c.type === 'Failed' && c.status === 'True') ?? false).toBe(false);

    // The worker trains until its first checkpoint, then its pod crashes (exit 1; backoffLimit 0 here).
    const abort = new AbortController();
    const watchCheckpoint = setInterval(() => { if (eventsOf(CheckpointSaved, 'resumed').length > 0) abort.abort(); }, 100);
    const interrupted = await runWorker(await jobOf(first), abort.signal);
    clearInterval(watchCheckpoint);
    expect(interrupted.status).toBe('interrupted');
    await endPod(replacement, 1);

    // The launcher answers the failed Job with a successor, attempt 2.
    const second = trainingJobName('resumed', event.id, 2);
    await livePod(second);
    const started2 = await eventually('the successor started', async () => eventsOf<{ attempt: number }>(TrainingStarted, 'resumed').find((e) => e.data.attempt === 2));
    expect(started2.id).toBe(`${second}/started`);

    // Its worker resumes from the checkpoint and finishes; the pod exits 0; the launcher publishes completed.
    const done = await runWorker(await jobOf(second));
    expect(done.status).toBe('completed');
    await endPod((await podsOf(second))[0]!, 0);
    const completed = await eventually('training.completed', async () => eventsOf<{ resumedFromKimg: number | null; kimg: number }>(TrainingCompleted, 'resumed')[0], 60_000);
    expect(completed.id).toBe(`${second}/completed`);
    expect(completed.data.resumedFromKimg).toBeGreaterThan(0);
    expect(completed.data.kimg).toBeGreaterThanOrEqual(0.096);
    expect(eventsOf(TrainingFailed, 'resumed')).toEqual([]);
  });

  it('fails the run at once, without a successor, when the worker refuses its request', async () => {
    const event = request('invalid', { ...PRESETS.smoke.gan, kimg: 0.032 });
    await bus.publish(event);
    const name = trainingJobName('invalid', event.id, 1);
    const pod = await livePod(name);
    // A worker that cannot read its request (e.g. an image older than the launcher's contract)
    // refuses it with the invalid-request exit code: the Job's podFailurePolicy fails the Job.
    const job = await jobOf(name);
    const tampered = { ...job, spec: { ...job.spec!, template: { ...job.spec!.template, spec: { ...job.spec!.template.spec!, containers: [{ ...job.spec!.template.spec!.containers[0]!, env: [{ name: TRAINING_JOB.requestEnv, value: JSON.stringify({ ...event, type: 'org.dermagan.training.requested.v0' }) }] }] } } } };
    expect((await runWorker(tampered)).status).toBe('invalid-request');
    await endPod(pod, TRAINING_JOB.exitCodes.invalidRequest);
    const failed = await eventually('training.failed', async () => eventsOf<{ reason: string; attempts: number }>(TrainingFailed, 'invalid')[0]);
    expect(failed.data).toMatchObject({ reason: 'invalid-request', attempts: 1 });
    expect((await kube().batch.listNamespacedJob({ namespace, labelSelector: 'dermagan.org/run=invalid' })).items).toHaveLength(1);
  });

  it('reports a request for more GPUs than any node has as unschedulable, with the scheduler’s reason, and keeps the Job', async () => {
    const event = request('huge', { ...PRESETS.smoke.gan, kimg: 0.032 }, 8);
    await bus.publish(event);
    const name = trainingJobName('huge', event.id, 1);
    const reported = await eventually('training.unschedulable', async () => eventsOf<{ message: string; gpus: number; job: string }>(TrainingUnschedulable, 'huge')[0]);
    expect(reported.data).toMatchObject({ job: name, gpus: 8 });
    expect(reported.data.message).toMatch(/Insufficient nvidia\.com\/gpu/);
    const pods = await podsOf(name);
    expect(pods.map((p) => p.status?.phase)).toEqual(['Pending']);
    expect((await jobOf(name)).status?.conditions ?? []).toEqual([]);
    expect(eventsOf(TrainingStarted, 'huge')).toEqual([]);
  });

  it('cancels a run: its Jobs and their pods are deleted and training.cancelled names them', async () => {
    const event = request('cancelled', { ...PRESETS.smoke.gan, kimg: 0.032 });
    await bus.publish(event);
    const name = trainingJobName('cancelled', event.id, 1);
    await livePod(name);
    await bus.publish(TrainingCancelRequested.create({ run: 'cancelled' }));
    const cancelled = await eventually('training.cancelled', async () => eventsOf<{ jobs: string[] }>(TrainingCancelled, 'cancelled')[0]);
    expect(cancelled.data.jobs).toEqual([name]);
    await eventually('the Job and its pods gone', async () => {
      const left = (await kube().batch.listNamespacedJob({ namespace, labelSelector: 'dermagan.org/run=cancelled' })).items.length + (await podsOf(name)).length;
      return left === 0 ? true : undefined;
    });
  });
});
