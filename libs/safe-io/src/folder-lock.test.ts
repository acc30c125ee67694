import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FOLDER_LOCK_FORMAT, FolderLockedError, parseLockHolder, processIdentity, processRuns, takeFolderLock, type FolderLockOptions } from './folder-lock.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'safe-io-lock-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A fresh folder per case. */
let n = 0;
async function folder(): Promise<string> {
  const dir = join(root, `f${n++}`);
  await mkdir(dir);
  return dir;
}

/** Process `pid` on host `host` (only pids in `running` run there). */
const on = (host: string, pid: number, running: number[] = [], extra: Partial<FolderLockOptions> = {}): FolderLockOptions => ({
  file: '.study.lock',
  title: 'dermagan study',
  command: `dermagan study --out x # ${pid}`,
  breakFlag: '--break-lock',
  host,
  pid,
  isAlive: (p) => running.includes(p),
  identify: () => null,
  now: () => new Date('2026-12-03T07:00:00Z'),
  ...extra,
});

const holderIn = async (dir: string) => parseLockHolder(await readFile(join(dir, '.study.lock'), 'utf8'));

describe('takeFolderLock', () => {
  it('takes a free folder: the lock file names pid, host, start and command; release removes it and leaves nothing else', async () => {
    const dir = await folder();
    const lock = await takeFolderLock(dir, on('lab-1', 101));
    expect(lock.tookOver).toBeNull();
    expect(await holderIn(dir)).toEqual({ pid: 101, host: 'lab-1', since: '2026-12-03T07:00:00.000Z', command: 'dermagan study --out x # 101', identity: null });
    expect(JSON.parse(await readFile(lock.path, 'utf8')).format).toBe(FOLDER_LOCK_FORMAT);
    expect(lock.release()).toBe(true);
    expect(lock.release()).toBe(false); // idempotent
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a second process while the holder on this host runs, naming it and what to do; the lock stays the holder’s', async () => {
    const dir = await folder();
    const first = await takeFolderLock(dir, on('lab-1', 101));
    const refused = takeFolderLock(dir, { ...on('lab-1', 202, [101]), now: () => new Date('2026-12-03T07:12:30Z') });
    await expect(refused).rejects.toBeInstanceOf(FolderLockedError);
    await expect(refused).rejects.toThrow(
      `${dir} is in use by another dermagan study: pid 101 on this host (lab-1), since 2026-12-03T07:00:00.000Z (12 min ago): dermagan study --out x # 101\n` +
        'Wait for it to finish, or stop it with Ctrl-C in its terminal (or kill -INT 101), then run this command again.\n' +
        'If pid 101 is no longer that command (the number was reused), run this command again with --break-lock.',
    );
    expect((await holderIn(dir))?.pid).toBe(101);
    expect(await readdir(dir)).toEqual(['.study.lock']); // no temp file left behind
    expect(first.release()).toBe(true);
    const next = await takeFolderLock(dir, on('lab-1', 202));
    expect(next.tookOver).toBeNull();
    next.release();
  });

  it('takes over a stale lock (its pid on this host has ended) and says whose it was', async () => {
    const dir = await folder();
    const dead = await takeFolderLock(dir, on('lab-1', 101)); // killed: never released
    const lock = await takeFolderLock(dir, on('lab-1', 202, [303]));
    expect(lock.tookOver).toEqual({ holder: dead.holder, why: 'ended' });
    expect((await holderIn(dir))?.pid).toBe(202);
    expect(dead.release()).toBe(false); // a stale holder coming back never removes its successor's lock
    expect((await holderIn(dir))?.pid).toBe(202);
    expect(lock.release()).toBe(true);
  });

  it('on this host, a live pid that is another process than the holder (reused: pid 1 of a restarted container) is taken over; the same process is not', async () => {
    const dir = await folder();
    const before = await takeFolderLock(dir, on('pod-a', 1, [], { identify: () => 'boot-1/500' }));
    expect((await holderIn(dir))?.identity).toBe('boot-1/500');
    await expect(takeFolderLock(dir, on('pod-a', 2, [1], { identify: (p) => (p === 1 ? 'boot-1/500' : 'boot-1/900') }))).rejects.toThrow(/in use by another dermagan study: pid 1 on this host/);
    const after = await takeFolderLock(dir, on('pod-a', 1, [1], { identify: () => 'boot-1/900' }));
    expect(after.tookOver).toEqual({ holder: before.holder, why: 'ended' });
    after.release();
  });

  it('never takes a lock from another host by itself (its pid is not ours to probe); --break-lock does, and says so', async () => {
    const dir = await folder();
    const remote = await takeFolderLock(dir, on('node-7', 101));
    const refused = takeFolderLock(dir, on('lab-1', 202)); // pid 101 does not run here, which proves nothing about node-7
    await expect(refused).rejects.toThrow(/in use by another dermagan study: pid 101 on host node-7, since .*\nWait for it to finish, or stop it with Ctrl-C on node-7, then run this command again\.\nA lock from another host is never taken over by itself .*: if that process is gone \(its machine stopped\), run this command again with --break-lock/);
    expect((await holderIn(dir))?.host).toBe('node-7');
    const broken = await takeFolderLock(dir, on('lab-1', 202, [], { breakLock: true }));
    expect(broken.tookOver).toEqual({ holder: remote.holder, why: 'broken' });
    expect(remote.release()).toBe(false);
    expect(broken.release()).toBe(true);
  });

  it('refuses a lock file that names no holder (only --break-lock takes it)', async () => {
    const dir = await folder();
    await writeFile(join(dir, '.study.lock'), 'not json');
    await expect(takeFolderLock(dir, on('lab-1', 202))).rejects.toThrow(/\.study\.lock, which does not say who holds it .*\nIf no dermagan study runs on .*, run this command again with --break-lock\./);
    expect(await readFile(join(dir, '.study.lock'), 'utf8')).toBe('not json');
    const broken = await takeFolderLock(dir, on('lab-1', 202, [], { breakLock: true }));
    expect(broken.tookOver).toEqual({ holder: null, why: 'broken' });
    broken.release();
  });

  it('release removes only its own lock: one replaced by another process (same pid and host, even) is left alone', async () => {
    const dir = await folder();
    const mine = await takeFolderLock(dir, on('lab-1', 101));
    await rm(mine.path);
    const theirs = await takeFolderLock(dir, on('lab-1', 101));
    expect(mine.release()).toBe(false);
    expect((await holderIn(dir))?.pid).toBe(101);
    expect(theirs.release()).toBe(true);
    expect(mine.release()).toBe(false); // and a missing file is no error
  });

  it('many processes taking one stale lock at once: one holds it, the others are refused, no temp file is left', async () => {
    const dir = await folder();
    await takeFolderLock(dir, on('lab-1', 1)); // stale
    const pids = [11, 12, 13, 14, 15, 16];
    // Each contender runs (to the others) as long as it holds the lock.
    const holding = new Set<number>();
    const results = await Promise.allSettled(
      pids.map((pid) => takeFolderLock(dir, on('lab-1', pid, [], { isAlive: (p) => holding.has(p) })).then((l) => (holding.add(pid), l))),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won.length).toBe(1);
    expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof FolderLockedError)).toBe(true);
    expect((await holderIn(dir))?.pid).toBe(won[0]!.value.holder.pid);
    expect(await readdir(dir)).toEqual(['.study.lock']);
  });
});

describe('processRuns, processIdentity', () => {
  it('this process runs and keeps its identity; a pid that ended does not run and has none', () => {
    expect(processRuns(process.pid)).toBe(true);
    const ended = spawnSync(process.execPath, ['-e', '0']).pid!;
    expect(processRuns(ended)).toBe(false);
    expect(processIdentity(ended)).toBeNull();
    if (process.platform === 'linux') {
      expect(processIdentity(process.pid)).toMatch(/^[0-9a-f-]{36}\/\d+$/);
      expect(processIdentity(process.pid)).toBe(processIdentity(process.pid));
      expect(processIdentity(process.pid)).not.toBe(processIdentity(process.ppid));
    } else {
      expect(processIdentity(process.pid)).toBeNull();
    }
  });
});
