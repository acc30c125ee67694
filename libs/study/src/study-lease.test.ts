/**
 * The study's lease in the store (study-lease.ts), on the local store with made-up hosts, pids and
 * clocks: who may take it, who is refused and with what message, and what its holder sees when it
 * is taken away. The same create-if-absent on a real S3 server: tests/store-s3.test.ts (contract).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderLockedError, FOLDER_LOCK_FORMAT, type LockHolder } from '@dermagan/safe-io';
import { LocalStore } from '@dermagan/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEASE_EXPIRES_MS, studyLeaseKey, takeStudyLease, type StudyLeaseOptions } from './study-lease.ts';

const BUCKET = 'dermagan';
const T0 = Date.parse('2026-12-03T10:00:00.000Z');

let root: string;
let store: LocalStore;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'study-lease-'));
  store = new LocalStore({ root });
});
afterAll(() => rm(root, { recursive: true, force: true }));

let serial = 0;
const newRun = () => `study-test-${++serial}`;

/** A process `pid` on `host` at time `at` (ms); `alive` says which pids run on that host. */
function on(host: string, pid: number, at: number, alive: number[] = [pid], extra: Partial<StudyLeaseOptions> = {}): StudyLeaseOptions {
  return {
    command: `dermagan study --out /data/out (pid ${pid})`,
    breakFlag: '--break-lock',
    breakLock: false,
    host,
    pid,
    isAlive: (p) => alive.includes(p),
    identify: () => null,
    now: () => new Date(at),
    renewMs: 3_600_000, // renewals in these tests are called by hand
    ...extra,
  };
}

const stored = async (runId: string) => JSON.parse((await store.getBytes(BUCKET, studyLeaseKey(runId))).toString('utf8')) as LockHolder & { renewedAt: string; token: string };

describe('the study lease', () => {
  it('is written beside the ledger naming its holder, and deleted on release', async () => {
    const run = newRun();
    const lease = await takeStudyLease(store, BUCKET, run, on('ward-1', 100, T0));
    expect(lease.location).toBe(`dermagan/runs/${run}/study/lease.json`);
    expect(lease.tookOver).toBeNull();
    expect(await stored(run)).toMatchObject({ format: FOLDER_LOCK_FORMAT, pid: 100, host: 'ward-1', renewedAt: '2026-12-03T10:00:00.000Z' });
    expect(await lease.release()).toBe(true);
    expect(await store.stat(BUCKET, studyLeaseKey(run))).toBeNull();
    expect(await lease.release()).toBe(false);
  });

  it('refuses a process on another host while the lease is renewed, naming the holder and what to do', async () => {
    const run = newRun();
    const first = await takeStudyLease(store, BUCKET, run, on('ward-1', 100, T0));
    const refused = await takeStudyLease(store, BUCKET, run, on('ward-2', 200, T0 + 5 * 60_000)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FolderLockedError);
    expect((refused as FolderLockedError).holder).toMatchObject({ pid: 100, host: 'ward-1' });
    expect((refused as Error).message).toBe(
      `study ${run} is being run by another dermagan study: pid 100 on host ward-1, since 2026-12-03T10:00:00.000Z (5 min ago): dermagan study --out /data/out (pid 100)\n` +
        `(its lease dermagan/runs/${run}/study/lease.json, last renewed 2026-12-03T10:00:00.000Z (5 min ago): another copy of this output folder, on a machine that shares the store).\n` +
        'Wait for it to finish, or stop it with Ctrl-C on ward-1, then run this command again.\n' +
        'If that process is gone, its lease is taken over by itself once it has not been renewed for 10 min; to take it now run this command again with --break-lock — only when it is gone: two processes running one study corrupt it.',
    );
    expect((await stored(run)).pid).toBe(100); // the refused one left it alone
    await first.release();
  });

  it('refuses a live process on this host, and takes over one whose process has ended', async () => {
    const run = newRun();
    await takeStudyLease(store, BUCKET, run, on('ward-1', 100, T0));
    await expect(takeStudyLease(store, BUCKET, run, on('ward-1', 101, T0, [100, 101]))).rejects.toThrow(/pid 100 on this host \(ward-1\)/);
    const next = await takeStudyLease(store, BUCKET, run, on('ward-1', 101, T0, [101]));
    expect(next.tookOver).toEqual({ holder: expect.objectContaining({ pid: 100, host: 'ward-1' }), why: 'ended' });
    expect((await stored(run)).pid).toBe(101);
    await next.release();
  });

  it('takes over from any host a lease not renewed for LEASE_EXPIRES_MS; renewing keeps it', async () => {
    const run = newRun();
    let clock = T0;
    const first = await takeStudyLease(store, BUCKET, run, on('ward-1', 100, 0, [100], { now: () => new Date(clock) }));
    clock = T0 + LEASE_EXPIRES_MS - 1000;
    expect(await first.renew()).toBe(true);
    expect((await stored(run)).renewedAt).toBe(new Date(clock).toISOString());
    await expect(takeStudyLease(store, BUCKET, run, on('ward-2', 200, clock + LEASE_EXPIRES_MS))).rejects.toThrow(FolderLockedError);
    const taken = await takeStudyLease(store, BUCKET, run, on('ward-2', 200, clock + LEASE_EXPIRES_MS + 1));
    expect(taken.tookOver?.why).toBe('expired');
    await taken.release();
  });

  it('with breakLock takes a live lease; its holder learns at its next renewal, stops renewing and leaves the new lease alone', async () => {
    const run = newRun();
    const lost: Array<LockHolder | null> = [];
    const first = await takeStudyLease(store, BUCKET, run, on('ward-1', 100, T0, [100], { onLost: (h) => lost.push(h) }));
    const broke = await takeStudyLease(store, BUCKET, run, on('ward-2', 200, T0, [200], { breakLock: true }));
    expect(broke.tookOver?.why).toBe('broken');
    expect(await first.renew()).toBe(false);
    expect(lost).toEqual([expect.objectContaining({ pid: 200, host: 'ward-2' })]);
    expect(await first.renew()).toBe(false);
    expect(lost).toHaveLength(1);
    expect(await first.release()).toBe(false);
    expect((await stored(run)).pid).toBe(200);
    await broke.release();
  });

  it('refuses a lease that names nobody unless broken', async () => {
    const run = newRun();
    await store.ensureBucket(BUCKET);
    await store.put(BUCKET, studyLeaseKey(run), 'not a lease');
    await expect(takeStudyLease(store, BUCKET, run, on('ward-1', 100, T0))).rejects.toThrow(
      `study ${run} is locked by dermagan/runs/${run}/study/lease.json, which does not say who holds it (not a lease dermagan wrote, or a damaged one).\nIf no dermagan study runs this study anywhere, run this command again with --break-lock.`,
    );
    const broke = await takeStudyLease(store, BUCKET, run, on('ward-1', 100, T0, [100], { breakLock: true }));
    expect(broke.tookOver).toEqual({ holder: null, why: 'broken' });
    await broke.release();
  });

  it('of processes on several hosts racing for a free lease, exactly one holds it', async () => {
    const run = newRun();
    const tries = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => takeStudyLease(store, BUCKET, run, on(`ward-${i}`, i, T0))));
    const held = tries.filter((t) => t.status === 'fulfilled');
    expect(held).toHaveLength(1);
    for (const t of tries) if (t.status === 'rejected') expect(t.reason).toBeInstanceOf(FolderLockedError);
    await (held[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof takeStudyLease>>>).value.release();
  });
});

describe('the study lease, released while a renewal is under way', () => {
  it('is gone after the release: the renewal finishes first, its write does not bring the lease back', async () => {
    const run = newRun();
    // A store whose writes of the lease are slow, as a renewal over a busy network.
    const slow = Object.create(store) as LocalStore;
    slow.put = async (...args: Parameters<LocalStore['put']>) => {
      await new Promise((r) => setTimeout(r, 100));
      return store.put(...args);
    };
    const lease = await takeStudyLease(slow, BUCKET, run, on('ward-1', 100, T0));
    const renewing = lease.renew();
    await new Promise((r) => setTimeout(r, 30)); // the renewal is writing
    expect(await lease.release()).toBe(true);
    expect(await renewing).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(await store.stat(BUCKET, studyLeaseKey(run))).toBeNull();
  });
});
