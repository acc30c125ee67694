/**
 * The training curves a run hands back hold each tick once, however the run was interrupted: a
 * trainer killed after writing a tick's history record but before that tick's checkpoint (or
 * before its first checkpoint) trains those ticks again, and their old records are dropped.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrainingRequested, type FolderRef } from '@dermagan/contracts';
import { ingest } from '@dermagan/ingest';
import { FolderCache, publishFolder } from '@dermagan/runtime';
import { LocalStore } from '@dermagan/store';
import { loadTf } from '@dermagan/tf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleTrainingRequested, type HistoryRecord } from './handlers.ts';

const DEMO = fileURLToPath(new URL('../../../data/demo/metadata.csv', import.meta.url));
const backend = await loadTf();

let root: string;
let store: LocalStore;
let dataset: FolderRef;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dermagan-trainer-history-'));
  store = new LocalStore({ root: join(root, 'store') });
  await ingest({ data: DEMO, out: join(root, 'demo16'), size: 16, split: null, tenants: null });
  dataset = await publishFolder(store, join(root, 'demo16'), { bucket: 'history', prefix: 'datasets/demo16/' }, 'manifest.json');
}, 120_000);
afterAll(() => rm(root, { recursive: true, force: true }));

describe('the history of an interrupted run', () => {
  it('drops the records of ticks a run killed before its first checkpoint wrote, and holds each tick once', async () => {
    const prefix = 'runs/killed-early/';
    // What a run killed after its first tick's history write, before that tick's checkpoint, left behind.
    const stale: HistoryRecord[] = [{ kimg: 0.016, tick: 1, lossG: 9 }];
    await store.put('history', `${prefix}history.json`, JSON.stringify(stale));
    const event = TrainingRequested.create({
      run: 'killed-early', dataset, classFilter: null,
      config: { res: 16, kimg: 0.032, batch: 8, cbase: 256, cmax: 32, map: 1, gamma: 0.05, tickKimg: 0.016, cond: false, aug: 'noaug', seed: 0 },
      output: { bucket: 'history', prefix },
    });
    const completed = await handleTrainingRequested(event, { store, folders: new FolderCache(store, join(root, 'folders')), workDir: join(root, 'work'), backend }, async () => {});
    expect(completed.data.resumedFromKimg).toBeNull();
    const history = JSON.parse((await store.getBytes('history', `${prefix}history.json`)).toString('utf8')) as HistoryRecord[];
    expect(history.map((h) => h.kimg)).toEqual([0.016, 0.032]);
    expect(history[0]!.lossG).not.toBe(9);
  }, 120_000);
});
