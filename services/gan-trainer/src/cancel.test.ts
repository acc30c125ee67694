/**
 * The in-process trainer honours `training.cancel.requested` as the launcher does for Jobs: the run
 * stops at its next step with its last checkpoint kept, `training.cancelled` follows, the request is
 * not handed back (nothing trains it again), and a later request for the run resumes from the
 * checkpoint. A cancel for a run not training here is answered at once.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryBus } from '@dermagan/bus';
import {
  CheckpointSaved, TrainingCancelled, TrainingCancelRequested, TrainingCompleted, TrainingFailed, TrainingRequested, TrainingStarted, type DermaganEvent, type FolderRef,
} from '@dermagan/contracts';
import { FolderCache } from '@dermagan/runtime';
import type { LocalStore } from '@dermagan/store';
import { loadTf } from '@dermagan/tf';
import { demoDataset16 } from './testing/demo-dataset.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainerSubscriptions } from './handlers.ts';

const backend = await loadTf();

let root: string;
let store: LocalStore;
let dataset: FolderRef;
beforeAll(async () => {
  ({ root, store, dataset } = await demoDataset16('cancel', 'cancel'));
}, 120_000);
afterAll(() => rm(root, { recursive: true, force: true }));

const request = (kimg: number) =>
  TrainingRequested.create({
    run: 'to-cancel', dataset, classFilter: null,
    config: { res: 16, kimg, batch: 8, cbase: 256, cmax: 32, map: 1, gamma: 0.05, tickKimg: 0.016, cond: false, aug: 'noaug', seed: 0 },
    output: { bucket: 'cancel', prefix: 'runs/to-cancel/' },
  });

describe('cancelling an in-process training', () => {
  it('stops the run at its next step, keeps its checkpoint, says training.cancelled, and is not trained again; a new request resumes', async () => {
    const bus = new MemoryBus();
    await bus.start();
    const seen: Array<DermaganEvent<{ run: string }>> = [];
    const waiters: Array<() => void> = [];
    const waitFor = (type: string, n = 1) =>
      new Promise<void>((resolve) => {
        const check = () => seen.filter((e) => e.type === type).length >= n && (resolve(), true);
        if (!check()) waiters.push(() => void check());
      });
    try {
      for (const s of trainerSubscriptions({ store, folders: new FolderCache(store, join(root, 'folders')), workDir: join(root, 'work'), backend })) await bus.subscribe(s);
      const types = [TrainingStarted, CheckpointSaved, TrainingCancelled, TrainingCompleted, TrainingFailed];
      await bus.subscribe({
        group: 'observer',
        types: types.map((t) => t.type),
        parse: (raw) => raw as DermaganEvent<{ run: string }>,
        handler: async (e) => {
          seen.push(e);
          for (const w of waiters) w();
        },
      });

      // A cancel for a run that is not training: answered at once, no Job, nothing stopped.
      await bus.publish(TrainingCancelRequested.create({ run: 'not-running' }));
      await waitFor(TrainingCancelled.type);
      expect(seen.find((e) => e.type === TrainingCancelled.type)!.data).toEqual({ run: 'not-running', jobs: [] });

      // A long run (100 kimg), cancelled after its first checkpoint.
      await bus.publish(request(100));
      await waitFor(CheckpointSaved.type);
      await bus.publish(TrainingCancelRequested.create({ run: 'to-cancel' }));
      await waitFor(TrainingCancelled.type, 2);
      expect(seen.filter((e) => e.type === TrainingCancelled.type).at(-1)!.data).toEqual({ run: 'to-cancel', jobs: [] });
      const checkpoints = seen.filter((e) => e.type === CheckpointSaved.type) as Array<DermaganEvent<{ run: string; kimg: number }>>;
      const lastKimg = checkpoints.at(-1)!.data.kimg;
      expect(lastKimg).toBeLessThan(1);
      await new Promise((r) => setTimeout(r, 1500));
      // Not handed back: started once, neither completed nor failed.
      expect(seen.filter((e) => e.type === TrainingStarted.type)).toHaveLength(1);
      expect(seen.filter((e) => e.type === TrainingCompleted.type || e.type === TrainingFailed.type)).toEqual([]);

      // Asked again (to the kimg reached), the run resumes from the kept checkpoint.
      await bus.publish(request(lastKimg));
      await waitFor(TrainingCompleted.type);
      const completed = seen.find((e) => e.type === TrainingCompleted.type) as DermaganEvent<{ run: string; resumedFromKimg: number | null }>;
      expect(completed.data.resumedFromKimg).toBe(lastKimg);
    } finally {
      await bus.close();
    }
  });
});
