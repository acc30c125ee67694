/**
 * The training curves a run hands back hold each tick once, however the run was interrupted: a
 * trainer killed after writing a tick's history record but before that tick's checkpoint (or
 * before its first checkpoint) trains those ticks again, and their old records are dropped.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { TrainingRequested, type FolderRef } from '@dermagan/contracts';
import { FolderCache } from '@dermagan/runtime';
import type { LocalStore } from '@dermagan/store';
import { loadTf } from '@dermagan/tf';
import { demoDataset16 } from './testing/demo-dataset.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleTrainingRequested, type HistoryRecord } from './handlers.ts';

const backend = await loadTf();

let root: string;
let store: LocalStore;
let dataset: FolderRef;
beforeAll(async () => {
  ({ root, store, dataset } = await demoDataset16('history', 'history'));
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
