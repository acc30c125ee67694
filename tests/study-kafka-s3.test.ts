/**
 * The study's event flow over the real Kafka broker and S3 server the global setup started, and a
 * gan-trainer *process* killed (SIGKILL) mid-run: the redelivered request continues from the
 * checkpoint in S3.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTf } from '@dermagan/tf';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { KafkaBus } from '@dermagan/bus';
import {
  CheckpointSaved, DatasetIngested, IngestRequested, TrainingCompleted, TrainingRequested, type DermaganEvent, type FolderRef,
} from '@dermagan/contracts';
import { FolderCache } from '@dermagan/runtime';
import { s3StoreFromEnv } from '@dermagan/store';
import { openStudy, planSteps, PRESETS, runStudy, StudyInterruptedError, StudyResults } from '@dermagan/study';
import { startEmbeddedServices } from '../cli/embedded-services.ts';

const backend = await loadTf();

const DEMO = new URL('../data/demo/metadata.csv', import.meta.url).pathname;
const ROOT = new URL('..', import.meta.url).pathname;
const env = () => inject('serverEnv');
const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.kill('SIGKILL')));

function connect(clientId: string) {
  const e = env();
  const bus = new KafkaBus({ brokers: e.DERMAGAN_KAFKA_BROKERS!.split(','), clientId, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 });
  const store = s3StoreFromEnv(e)!;
  return { bus, store };
}

describe('the study over real Kafka and S3', () => {
  it('runs every step through Kafka topics with artifacts in S3', { timeout: 900_000 }, async () => {
    const root = await mkdtemp(join(tmpdir(), 'study-kafka-'));
    const { bus, store } = connect('study-test');
    await bus.start();
    try {
      await startEmbeddedServices({ backend, bus, store, workDir: join(root, 'work') });
      const folders = new FolderCache(store, join(root, 'folders'));
      const outcome = await runStudy({
        data: DEMO,
        out: join(root, 'out'),
        // The audits and the explanation are the embedded flow's (study-flow.test.ts); here the topics and S3.
        preset: { ...PRESETS.smoke, utility: PRESETS.smoke.utility.slice(0, 2), audit: null, explain: null },
        bus,
        store,
        bucket: 'study-kafka',
        fetchFolder: (ref) => folders.fetch(ref),
        environment: { bus: 'kafka', store: store.url },
      });
      const results = StudyResults.parse(JSON.parse(await readFile(outcome.resultsPath, 'utf8')));
      expect(results.fidelity).toHaveLength(3);
      expect(results.utility.map((u) => u.name)).toEqual(['real', 'synth-GAN']);
      // The artifacts are in S3: checkpoints, synthetic datasets, classifiers.
      const keys = await store.list('study-kafka', '');
      // Each step's folder is named with its key (a step done afresh writes a fresh one).
      expect(keys.some((k) => /gans\/cgan-ada-[0-9a-f]{8}\/checkpoint\/latest\.json$/.test(k))).toBe(true);
      expect(keys.some((k) => /^synthetic\/.*\/manifest\.json$/.test(k))).toBe(true);
      expect(keys.some((k) => /classifiers\/real-[0-9a-f]{8}\/classifier\.json$/.test(k))).toBe(true);
    } finally {
      await bus.close();
    }
  });

  it('a restarted study (its CLI stopped mid-training) re-attaches to what it asked for instead of publishing it again', async () => {
    const root = await mkdtemp(join(tmpdir(), 'study-reattach-'));
    const out = join(root, 'out');
    await mkdir(out);
    // The services, as in a cluster: their own connection, running across both CLI runs.
    const services = connect('reattach-services');
    await services.bus.start();
    const handled: string[] = [];
    services.bus.moments.on('handled', (m) => m.type === TrainingRequested.type && handled.push(m.id));
    const preset = { ...PRESETS.smoke, utility: PRESETS.smoke.utility.slice(0, 1), federation: null };
    const steps = planSteps({ preset, federation: false });
    const bucket = 'study-reattach';
    const folders = new FolderCache(services.store, join(root, 'folders'));
    const cli = async (clientId: string, signal?: AbortSignal, onProgress?: (step: string) => void) => {
      const { bus, store } = connect(clientId);
      await bus.start();
      const published: string[] = [];
      bus.moments.on('published', (m) => published.push(m.id));
      const study = await openStudy({ out, store, bucket, settings: { preset: { ...preset }, data: { path: DEMO, fingerprint: null }, federated: false }, steps, restart: [] });
      try {
        const outcome = await runStudy({
          data: DEMO, out, preset, bus, store, bucket, steps, runId: study.runId, ledger: study.ledger,
          fetchFolder: (ref) => folders.fetch(ref), environment: { bus: 'kafka', store: store.url },
          ...(signal ? { signal } : {}),
          ...(onProgress ? { onProgress } : {}),
        });
        return { outcome, published, study };
      } catch (err) {
        return { error: err, published, study };
      } finally {
        await bus.close();
      }
    };
    try {
      await startEmbeddedServices({ backend, bus: services.bus, store: services.store, workDir: join(root, 'work') });
      // The first CLI stops once a GAN trains (Ctrl-C; the services go on).
      const stop = new AbortController();
      const first = await cli('reattach-study-1', stop.signal, (step) => step.startsWith('train:') && stop.abort());
      expect(first.error).toBeInstanceOf(StudyInterruptedError);
      const asked = first.published.filter((id) => id.includes(':train:'));
      expect(asked.length).toBeGreaterThan(0);

      // The restarted CLI: same study, publishes none of those requests again, and gets their replies.
      const second = await cli('reattach-study-2');
      expect(second.study).toMatchObject({ runId: first.study.runId, continuing: true });
      expect(second.published.filter((id) => asked.includes(id))).toEqual([]);
      expect(second.outcome!.results.gans).toHaveLength(3);
      expect(second.outcome!.results.steps.ingest!.status).toBe('reused');
      // Each training request was trained once.
      expect(handled.filter((id) => asked.includes(id)).sort()).toEqual([...asked].sort());
      expect(new Set(handled).size).toBe(handled.length);
    } finally {
      await services.bus.close();
    }
  });

  it('resumes a SIGKILLed gan-trainer process from its S3 checkpoint when Kafka redelivers the request', async () => {
    const root = await mkdtemp(join(tmpdir(), 'trainer-kill-'));
    const { bus, store } = connect('trainer-kill-test');
    await bus.start();
    try {
      // A dataset, ingested by the in-process ingest handler.
      await startEmbeddedServices({ backend, bus, store, workDir: join(root, 'work'), services: ['ingest'] });
      const dataset = await new Promise<FolderRef>((resolve, reject) => {
        bus
          .subscribe({ group: 'kill-test-ingest', types: [DatasetIngested.type], parse: (r) => DatasetIngested.parse(r), handler: async (e) => { if (e.data.dataset.bucket === 'kill-test') resolve(e.data.dataset); } })
          .then(() =>
            bus.publish(
              IngestRequested.create({ source: { kind: 'auto', path: DEMO }, output: { bucket: 'kill-test', prefix: 'datasets/demo16/' }, size: 16, split: 0.8, seed: 0, tenants: null }),
            ),
          )
          .catch(reject);
      });

      // Listen to the trainer's events caused by this request (the topics also hold earlier tests' events).
      const request = TrainingRequested.create({
        run: 'killed',
        dataset,
        classFilter: null,
        config: { ...PRESETS.smoke.gan, kimg: 0.192, cond: true },
        output: { bucket: 'kill-test', prefix: 'runs/kill/gans/killed/' },
      });
      const ours = (e: { causationid?: string }) => e.causationid === request.id;
      const checkpoints: DermaganEvent<{ kimg: number }>[] = [];
      let firstCheckpoint!: () => void;
      const checkpointed = new Promise<void>((r) => (firstCheckpoint = r));
      let done!: (e: DermaganEvent<{ resumedFromKimg: number | null; kimg: number }>) => void;
      const completed = new Promise<DermaganEvent<{ resumedFromKimg: number | null; kimg: number }>>((r) => (done = r));
      await bus.subscribe({ group: 'kill-test', types: [CheckpointSaved.type], parse: (r) => CheckpointSaved.parse(r), handler: async (e) => { if (!ours(e)) return; checkpoints.push(e); firstCheckpoint(); } });
      await bus.subscribe({ group: 'kill-test', types: [TrainingCompleted.type], parse: (r) => TrainingCompleted.parse(r), handler: async (e) => { if (ours(e)) done(e); } });

      // The trainer as its own process; killed hard after its first checkpoint.
      const trainer = () => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'services/gan-trainer/src/main.ts')], {
          cwd: ROOT,
          env: { ...process.env, ...env(), DERMAGAN_BUS: 'kafka', DERMAGAN_STORE: env().DERMAGAN_S3_ENDPOINT!, DERMAGAN_HTTP_PORT: '0', DERMAGAN_WORK_DIR: join(root, 'trainer'), DERMAGAN_LOG_LEVEL: 'warn', DERMAGAN_BUCKET: 'kill-test' },
          stdio: ['ignore', 'inherit', 'inherit'],
        });
        children.push(child);
        return child;
      };
      const first = trainer();
      await bus.publish(request);
      await checkpointed;
      first.kill('SIGKILL');
      const killedAtKimg = checkpoints.at(-1)!.data.kimg;

      // A new trainer process gets the uncommitted request again and continues.
      trainer();
      const result = await completed;
      expect(result.data.resumedFromKimg).not.toBeNull();
      expect(result.data.resumedFromKimg!).toBeGreaterThanOrEqual(killedAtKimg);
      expect(result.data.kimg).toBeGreaterThanOrEqual(0.192);
      const history = JSON.parse((await store.getBytes('kill-test', 'runs/kill/gans/killed/history.json')).toString('utf8')) as Array<{ kimg: number }>;
      const kimgs = history.map((h) => h.kimg);
      expect(new Set(kimgs).size).toBe(kimgs.length); // no tick recorded twice
      expect(kimgs).toEqual([...kimgs].sort((a, b) => a - b));
    } finally {
      await bus.close();
    }
  });
});
