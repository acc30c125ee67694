import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '@dermagan/bus';
import { DatasetIngested, IngestRequested, type ArtifactRef, type DermaganEvent } from '@dermagan/contracts';
import { DatasetManifest } from '@dermagan/dataset';
import { LocalStore, StoreUnavailableError, type ObjectStore, type PutOptions } from '@dermagan/store';
import { handleIngestRequested, ingestSubscription, type DatasetIngestedData } from './handlers.ts';

const DEMO = new URL('../../../data/demo/', import.meta.url).pathname;
let root: string;
let csv: string;
const buses: MemoryBus[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dermagan-ingest-service-'));
  const [header, ...rows] = (await readFile(join(DEMO, 'metadata.csv'), 'utf8')).trim().split('\n');
  csv = join(root, 'subset.csv');
  await writeFile(csv, `${header}\n${rows.slice(0, 12).join('\n')}\nMISSING_1,P,nevus,0,HAM10000\n`);
});
afterEach(async () => {
  for (const b of buses.splice(0)) await b.close();
});
afterAll(() => rm(root, { recursive: true, force: true }));

const request = (prefix: string, path = csv) =>
  IngestRequested.create(
    { source: { kind: 'derm-sample', path, images: DEMO }, output: { bucket: 'datasets', prefix }, size: 8, split: 0.75, tenants: 2 },
    { runid: 'run-1' },
  );

async function waitFor(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The local store, but the first `failures` puts fail as if the S3 server were down. */
class OutageStore implements ObjectStore {
  constructor(private readonly inner: ObjectStore, private failures: number) {}
  get url() { return this.inner.url; }
  ensureBucket(bucket: string) { return this.inner.ensureBucket(bucket); }
  async put(bucket: string, key: string, body: Readable | Uint8Array | string, options?: PutOptions): Promise<ArtifactRef> {
    if (this.failures > 0) {
      this.failures--;
      if (typeof body === 'object' && 'destroy' in body) body.destroy();
      throw new StoreUnavailableError(this.url, `put ${bucket}/${key}`, 3, new Error('connect ECONNREFUSED'));
    }
    return this.inner.put(bucket, key, body, options);
  }
  get(bucket: string, key: string) { return this.inner.get(bucket, key); }
  getBytes(bucket: string, key: string) { return this.inner.getBytes(bucket, key); }
  stat(bucket: string, key: string) { return this.inner.stat(bucket, key); }
  list(bucket: string, prefix?: string) { return this.inner.list(bucket, prefix); }
  delete(bucket: string, key: string) { return this.inner.delete(bucket, key); }
  ping() { return this.inner.ping(); }
}

describe('handleIngestRequested', () => {
  it('ingests, uploads shards then manifest, and returns dataset.ingested caused by the request', async () => {
    const store = new LocalStore({ root: join(root, 'store-direct'), fsync: false });
    const req = request('datasets/demo-8/');
    const work = join(root, 'work');
    await mkdir(work);
    const out = await handleIngestRequested(req, { store, workDir: work });

    expect(out.type).toBe(DatasetIngested.type);
    expect(out.causationid).toBe(req.id);
    expect(out.runid).toBe('run-1');
    expect(out.data).toMatchObject({ accepted: 12, quarantined: 1, dataset: { bucket: 'datasets', prefix: 'datasets/demo-8/' } });
    expect(out.data.dataset.manifest.key).toBe('datasets/demo-8/manifest.json');

    const manifest = DatasetManifest.parse(JSON.parse((await store.getBytes('datasets', 'datasets/demo-8/manifest.json')).toString('utf8')));
    expect(manifest.fingerprint).toBe(out.data.fingerprint);
    expect(manifest.quarantine).toEqual([{ id: 'MISSING_1', reason: 'missing-file', detail: expect.any(String) }]);
    expect(manifest.size).toBe(8);
    expect(await store.list('datasets', 'datasets/demo-8/')).toEqual(['datasets/demo-8/manifest.json', 'datasets/demo-8/shards/shard-00000.npy']);
    expect((await store.stat('datasets', 'datasets/demo-8/shards/shard-00000.npy'))!.sha256).toBe(manifest.shards[0]!.sha256);
    expect(await readdir(work)).toEqual([]); // temp folder removed
  });
});

describe('ingest subscription on the in-memory bus', () => {
  it('ingest.requested → dataset.ingested', async () => {
    const store = new LocalStore({ root: join(root, 'store-bus'), fsync: false });
    const bus = new MemoryBus();
    buses.push(bus);
    await bus.start();
    await bus.subscribe(ingestSubscription({ store }));
    const got: Array<DermaganEvent<DatasetIngestedData>> = [];
    await bus.subscribe({ group: 'watcher', types: [DatasetIngested.type], parse: DatasetIngested.parse, handler: async (e) => void got.push(e) });
    const req = request('datasets/bus');
    await bus.publish(req);
    await waitFor('dataset.ingested', () => got.length === 1);
    expect(got[0]!.data.accepted).toBe(12);
    expect(got[0]!.causationid).toBe(req.id);
    expect((await store.stat('datasets', 'datasets/bus/manifest.json'))!.sha256).toBe(got[0]!.data.dataset.manifest.sha256);
  });

  it('a malformed source CSV is not retried: one attempt, then the dead-letter topic with the message', async () => {
    const bad = join(root, 'bad.csv');
    await writeFile(bad, 'image_id,patient_id,target\n"broken,P,1\n');
    const bus = new MemoryBus({ retry: { retries: 3, initialRetryTimeMs: 1, maxRetryTimeMs: 2 } });
    buses.push(bus);
    await bus.start();
    await bus.subscribe(ingestSubscription({ store: new LocalStore({ root: join(root, 'store-bad'), fsync: false }) }));
    const dead: number[] = [];
    bus.moments.on('deadLettered', (m) => void dead.push(m.attempts));
    await bus.publish(request('datasets/bad', bad));
    await waitFor('the dead letter', () => dead.length === 1);
    expect(dead).toEqual([1]);
    const [letter] = await bus.readDeadLetters(IngestRequested.type);
    expect(letter!.error).toMatchObject({ name: 'IngestError', retriable: false, message: expect.stringMatching(/is malformed/) });
  });

  it('a store outage is retried and then succeeds, with every object intact', async () => {
    const local = new LocalStore({ root: join(root, 'store-outage'), fsync: false });
    const bus = new MemoryBus({ retry: { retries: 3, initialRetryTimeMs: 1, maxRetryTimeMs: 2 } });
    buses.push(bus);
    await bus.start();
    await bus.subscribe(ingestSubscription({ store: new OutageStore(local, 2) }));
    const retried: string[] = [];
    bus.moments.on('retried', (m) => void retried.push(m.error));
    const got: Array<DermaganEvent<DatasetIngestedData>> = [];
    await bus.subscribe({ group: 'watcher', types: [DatasetIngested.type], parse: DatasetIngested.parse, handler: async (e) => void got.push(e) });
    await bus.publish(request('datasets/outage'));
    await waitFor('dataset.ingested after the outage', () => got.length === 1);
    expect(retried).toHaveLength(2);
    expect(retried[0]).toMatch(/unavailable/);
    const manifest = DatasetManifest.parse(JSON.parse((await local.getBytes('datasets', 'datasets/outage/manifest.json')).toString('utf8')));
    for (const s of manifest.shards) expect((await local.stat('datasets', `datasets/outage/${s.file}`))!.sha256).toBe(s.sha256);
    expect(await bus.readDeadLetters(IngestRequested.type)).toEqual([]);
  });
});
