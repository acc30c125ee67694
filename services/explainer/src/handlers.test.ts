/**
 * The explainer's handler on the in-memory bus and a local-folder store: a request becomes an
 * explanation folder in the store and `explanation.completed`; a request for a dataset of
 * another size ends in the dead-letter topic with the reason, without retries.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBus } from '@dermagan/bus';
import { runExperiment } from '@dermagan/classifier';
import { writeBlobDataset } from '@dermagan/classifier/testing';
import { ExplanationCompleted, ExplanationRequested, type DermaganEvent } from '@dermagan/contracts';
import { FolderCache, publishFolder } from '@dermagan/runtime';
import { LocalStore } from '@dermagan/store';
import { loadTf } from '@dermagan/tf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainerSubscription } from './handlers.ts';

const backend = await loadTf();

let root: string;
let bus: MemoryBus;
let store: LocalStore;
const completed: Array<DermaganEvent<unknown>> = [];

beforeAll(async () => {
  const { tf, info } = await loadTf();
  root = await mkdtemp(join(tmpdir(), 'explainer-'));
  await writeBlobDataset({ dir: join(root, 'real'), size: 16, patientsPerClass: 12, seed: 1 });
  await writeBlobDataset({ dir: join(root, 'real32'), size: 32, patientsPerClass: 4, seed: 2 });
  await runExperiment(tf, info, { data: { scenario: 'real', real: join(root, 'real') }, train: { arch: 'small', epochs: 1, size: 16, seed: 0 }, out: join(root, 'classifier'), resamples: 10 });
  store = new LocalStore({ root: join(root, 'store') });
  bus = new MemoryBus({ retry: { retries: 2, initialRetryTimeMs: 1, maxRetryTimeMs: 2 } });
  await bus.start();
  await bus.subscribe(explainerSubscription({ backend, store, folders: new FolderCache(store, join(root, 'folders')), workDir: join(root, 'work') }));
  await bus.subscribe({ group: 'test', types: [ExplanationCompleted.type], parse: (r) => ExplanationCompleted.parse(r), handler: async (e) => void completed.push(e) });
}, 300_000);
afterAll(async () => {
  await bus.close();
  await rm(root, { recursive: true, force: true });
});

async function request(real: string, parts: Array<'embeddings' | 'edge-cases'>) {
  const location = (p: string) => ({ bucket: 'explain-test', prefix: p });
  const event = ExplanationRequested.create({
    name: 'tiny',
    classifier: await publishFolder(store, join(root, 'classifier'), location('classifiers/real/'), 'classifier.json'),
    real: await publishFolder(store, join(root, real), location(`datasets/${real}/`), 'manifest.json'),
    parts,
    options: { tsne: { iterations: 200 }, umap: { epochs: 50 }, resamples: 20, extractor: null },
    output: location(`explanations/${real}/`),
  });
  await bus.publish(event);
  return event;
}

async function until<T>(get: () => T | undefined, ms = 240_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function deadLetterOf(id: string, ms = 240_000) {
  const end = Date.now() + ms;
  for (;;) {
    const mine = (await bus.readDeadLetters(ExplanationRequested.type)).find((l) => l.event.id === id);
    if (mine) return mine;
    if (Date.now() > end) throw new Error(`no dead letter for ${id}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('explainer service', () => {
  it('explanation.requested → the explanation folder in the store → explanation.completed', async () => {
    const sent = await request('real', ['embeddings', 'edge-cases']);
    const done = await until(() => completed.find((e) => e.causationid === sent.id));
    const data = ExplanationCompleted.schema.parse(done.data);
    expect(data.explanation.prefix).toBe('explanations/real/');
    expect(data.numbers.embedded_images).toBeGreaterThan(0);
    expect(data.skipped.neighbours).toMatch(/no generator checkpoint/);
    const keys = await store.list('explain-test', 'explanations/real/');
    expect(keys).toEqual(expect.arrayContaining(['explanations/real/summary.json', 'explanations/real/view-3d.html']));
  });

  it('a dataset of another size: dead-lettered with the reason, not retried', async () => {
    const sent = await request('real32', ['embeddings']);
    const letter = await deadLetterOf(sent.id);
    expect(letter.error.message).toMatch(/holds 32x32 images but the model was trained on 16x16/);
    expect(letter.error.retriable).toBe(false);
  });
});
