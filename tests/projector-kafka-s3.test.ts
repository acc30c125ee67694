/**
 * The projector service over the real Kafka broker and S3 server the global setup started: a
 * projector *process* killed (SIGKILL) mid-projection, whose redelivered request continues every
 * image from its state in S3; an audit whose portal view (privacy-audit.json) lands in S3; and a
 * request the generator cannot serve ending in the dead-letter topic with the reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KafkaBus } from '@dermagan/bus';
import {
  AuditCompleted, AuditRequested, PrivacyAudit, ProjectionCompleted, ProjectionProgress, ProjectionRequested, type DermaganEvent, type FolderRef,
} from '@dermagan/contracts';
import { openDataset } from '@dermagan/dataset';
import { DEFAULT_AUGMENT, FolderCheckpointSink, inMemoryData, META_FILE, preset, Trainer } from '@dermagan/gan';
import { ingest } from '@dermagan/ingest';
import { FolderCache, publishFolder } from '@dermagan/runtime';
import { projectorSubscriptions } from '@dermagan/service-projector';
import { s3StoreFromEnv, type ObjectStore } from '@dermagan/store';
import { loadTf } from '@dermagan/tf';

const DEMO = new URL('../data/demo/metadata.csv', import.meta.url).pathname;
const ROOT = new URL('..', import.meta.url).pathname;
const BUCKET = 'projector-test';
const env = () => inject('serverEnv');
const children: ChildProcess[] = [];
let root: string;
let bus: KafkaBus;
let store: ObjectStore;
let demo16: FolderRef;
let demo32: FolderRef;
let checkpoint: FolderRef;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'projector-kafka-'));
  const e = env();
  bus = new KafkaBus({ brokers: e.DERMAGAN_KAFKA_BROKERS!.split(','), clientId: 'projector-test', sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 });
  store = s3StoreFromEnv(e)!;
  await bus.start();
  // Two datasets (16² and 32²) and a conditional 16² generator (untrained: any G projects), in S3.
  for (const size of [16, 32]) await ingest({ data: DEMO, out: join(root, `demo${size}`), size, split: 0.8 });
  demo16 = await publishFolder(store, join(root, 'demo16'), { bucket: BUCKET, prefix: 'datasets/demo16/' }, 'manifest.json');
  demo32 = await publishFolder(store, join(root, 'demo32'), { bucket: BUCKET, prefix: 'datasets/demo32/' }, 'manifest.json');
  const { tf } = await loadTf();
  const labels = (await openDataset(join(root, 'demo16'))).manifest.labels;
  const base = preset('test', 16);
  const trainer = new Trainer(tf, inMemoryData(new Uint8Array(16 * 16 * 3), new Int32Array(1), 16, labels), { config: { ...base, network: { ...base.network, cDim: 2 } }, seed: 0, augment: DEFAULT_AUGMENT, mirror: false });
  await trainer.save(new FolderCheckpointSink(join(root, 'checkpoint')));
  trainer.dispose();
  checkpoint = await publishFolder(store, join(root, 'checkpoint'), { bucket: BUCKET, prefix: 'runs/g/checkpoint/' }, META_FILE);
}, 300_000);
afterAll(async () => {
  children.forEach((c) => c.kill('SIGKILL'));
  await bus?.close();
});

/** Resolves with the first event of `definition` caused by `request`. */
function reply<T>(definition: { type: string; parse: (raw: unknown) => DermaganEvent<T> }, request: { id: string }, group: string, onEach?: (e: DermaganEvent<T>) => void) {
  return new Promise<DermaganEvent<T>>((resolve, reject) => {
    bus
      .subscribe({ group, types: [definition.type], parse: (r) => definition.parse(r), handler: async (e) => { if (e.causationid !== request.id) return; onEach?.(e); resolve(e); } })
      .catch(reject);
  });
}

describe('the projector service over Kafka and S3', () => {
  it('a SIGKILLed projector process continues every image from its state in S3 when Kafka redelivers the request', async () => {
    const request = ProjectionRequested.create({
      name: 'killed',
      checkpoint,
      dataset: demo16,
      selection: { split: ['train'], n: 4 },
      options: { steps: 400, batch: 4, saveEvery: 10, distance: 'pixels-mse', wAvgSamples: 500 },
      output: { bucket: BUCKET, prefix: 'projections/kill/' },
    });
    const progress: number[] = [];
    const completed = reply(ProjectionCompleted, request, 'projector-kill-test');
    void reply(ProjectionProgress, request, 'projector-kill-progress', (e) => progress.push(e.data.steps ?? 0));

    const projector = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'services/projector/src/main.ts')], {
        cwd: ROOT,
        env: { ...process.env, ...env(), DERMAGAN_BUS: 'kafka', DERMAGAN_STORE: env().DERMAGAN_S3_ENDPOINT!, DERMAGAN_HTTP_PORT: '0', DERMAGAN_WORK_DIR: join(root, 'projector'), DERMAGAN_LOG_LEVEL: 'warn', DERMAGAN_BUCKET: BUCKET },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      children.push(child);
      return child;
    };
    const first = projector();
    await bus.publish(request);
    // Kill it once every image has a state in S3 past step 20.
    const statePrefix = 'projections/kill/killed/state/';
    for (let waited = 0; ; waited += 500) {
      const keys = await store.list(BUCKET, statePrefix).catch(() => [] as string[]);
      if (keys.length === 4 && progress.some((s) => s >= 4 * 20)) break;
      if (waited > 240_000) throw new Error('no projection state reached S3 in 4 minutes');
      await new Promise((r) => setTimeout(r, 500));
    }
    first.kill('SIGKILL');

    projector();
    const result = await completed;
    expect(result.data).toMatchObject({ name: 'killed', images: 4, resumed: 4, space: 'w', distanceSpace: 'pixels-mse' });
    const keys = await store.list(BUCKET, 'projections/kill/killed/');
    expect(keys).toEqual(expect.arrayContaining(['projections/kill/killed/projection.json', 'projections/kill/killed/w.npy', 'projections/kill/killed/noise/b16.conv1.noise_const.npy', 'projections/kill/killed/projections.csv', 'projections/kill/killed/projected/manifest.json']));
    expect(keys.some((k) => k.includes('/state/'))).toBe(false); // states are removed once the work is published
  });

  it('audits in-process over Kafka: audit.completed, and the portal’s privacy-audit.json in S3', async () => {
    const folders = new FolderCache(store, join(root, 'folders'));
    for (const s of projectorSubscriptions({ store, folders, workDir: join(root, 'in-process'), backend: await loadTf() })) await bus.subscribe(s);
    const request = AuditRequested.create({
      name: 'cgan',
      checkpoint,
      members: { dataset: demo16, selection: { split: ['train'], n: 6 } },
      nonMembers: { dataset: demo16, selection: { split: ['test'], n: 6 } },
      generated: 8,
      spaces: [],
      options: { steps: 20, batch: 12, distance: 'pixels-mse', wAvgSamples: 500 },
      resamples: 50,
      output: { bucket: BUCKET, prefix: 'projections/study/' },
    });
    const completed = reply(AuditCompleted, request, 'audit-test');
    await bus.publish(request);
    const result = await completed;
    expect(result.data).toMatchObject({ name: 'cgan', members: 6, nonMembers: 6, generated: 8, tprResolved: [false, false] });
    expect(result.data.copyRule).toMatch(/1st percentile/);
    const view = PrivacyAudit.parse(JSON.parse((await store.getBytes(BUCKET, result.data.privacyAudit.key)).toString('utf8')));
    expect(result.data.privacyAudit.key).toBe('projections/study/cgan/privacy-audit.json');
    expect(view).toMatchObject({ name: 'cgan', space: 'pixels-mse', membership: { auc: result.data.membershipAuc, members: 6, nonMembers: 6 } });
    expect(view.closestPairs).toHaveLength(8);
    const pair = view.closestPairs[0]!;
    expect((await store.getBytes(pair.generated.bucket, pair.generated.key)).subarray(1, 4).toString()).toBe('PNG');
    expect(view.histograms.map((h) => h.name)).toEqual(['projection distance: members', 'projection distance: non-members', 'generated → nearest training image', 'training → nearest other training image']);
  });

  it('a request the generator cannot serve goes to the dead-letter topic with the reason', async () => {
    const request = ProjectionRequested.create({ name: 'wrong-size', checkpoint, dataset: demo32, options: { steps: 2 }, output: { bucket: BUCKET, prefix: 'projections/bad/' } });
    await bus.publish(request);
    for (let waited = 0; ; waited += 500) {
      const letters = await bus.readDeadLetters(ProjectionRequested.type);
      const ours = letters.find((l) => l.event.id === request.id);
      if (ours) {
        expect(ours.error).toMatchObject({ name: 'ProjectorError', retriable: false });
        expect(ours.error.message).toMatch(/^projector-test\/datasets\/demo32\/ holds 32×32 images but the generator makes 16×16/);
        break;
      }
      if (waited > 60_000) throw new Error('the bad request reached no dead-letter topic in a minute');
      await new Promise((r) => setTimeout(r, 500));
    }
  });
});
