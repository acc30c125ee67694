/**
 * `dermagan study`: one process at a time per output folder. A second study on the same OUT is
 * refused (exit 2, naming the running one) while the first runs; the lock is gone after the first
 * is stopped with one Ctrl-C, after a second Ctrl-C's immediate exit, and after an error; a lock
 * whose process has ended is taken over with a note.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FOLDER_LOCK_FORMAT } from '@dermagan/safe-io';
import { LocalStore } from '@dermagan/store';
import { STUDY_LOCK_FILE, studyLeaseKey } from '@dermagan/study';
import { dermagan } from '../testing.ts';

const BIN = new URL('../../bin/dermagan.js', import.meta.url).pathname;

/** Studies started by the tests: killed at the end, so a failed test leaves none running. */
const started = new Set<ChildProcess>();

/** A smoke study on OUT, as a child process; `whenSeen(pattern)` resolves once its stderr matches. */
function startStudy(out: string, extra: string[] = []) {
  const child = spawn(process.execPath, [BIN, 'study', '--preset', 'smoke', '--out', out, ...extra], {
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  started.add(child);
  let stderr = '';
  const waiting: Array<{ pattern: RegExp; resolve: () => void }> = [];
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString('utf8');
    for (const w of waiting.filter((x) => x.pattern.test(stderr))) waiting.splice(waiting.indexOf(w), 1), w.resolve();
  });
  const ended = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
  return {
    pid: child.pid!,
    ended,
    kill: (signal: NodeJS.Signals) => child.kill(signal),
    whenSeen: (pattern: RegExp) =>
      Promise.race([
        new Promise<void>((resolve) => (pattern.test(stderr) ? resolve() : waiting.push({ pattern, resolve }))),
        ended.then((r) => Promise.reject(new Error(`the study ended (${r.code}) before ${pattern}: ${r.stderr}`))),
      ]),
  };
}

const lockedBy = async (out: string) => (JSON.parse(await readFile(join(out, STUDY_LOCK_FILE), 'utf8')) as { pid: number; host: string }).pid;
const lockGone = async (out: string) => expect(await readdir(out)).not.toContain(STUDY_LOCK_FILE);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'study-lock-'));
});
afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(root, { recursive: true, force: true });
});

describe('study: one process per output folder', () => {
  const out = () => join(root, 'out');

  it('refuses a second study on the same OUT while the first runs; one Ctrl-C stops the first and releases the lock', { timeout: 180_000 }, async () => {
    const first = startStudy(out());
    // Its Ctrl-C handler is in place once a step reports progress.
    await first.whenSeen(/ingest/);
    expect(await lockedBy(out())).toBe(first.pid);
    const second = await dermagan('study', '--preset', 'smoke', '--out', out());
    expect(second.code, second.stderr).toBe(2);
    expect(second.stderr).toContain(`${out()} is in use by another dermagan study: pid ${first.pid} on this host (${hostname()}), since `);
    expect(second.stderr).toContain(`: dermagan study --preset smoke --out ${out()}\nWait for it to finish, or stop it with Ctrl-C in its terminal (or kill -INT ${first.pid})`);
    expect(await lockedBy(out())).toBe(first.pid); // the refused one left it alone

    first.kill('SIGINT');
    const stopped = await first.ended;
    expect(stopped.code, stopped.stderr).toBe(130);
    await lockGone(out());
  });

  it('a lock whose process ended is taken over with a note, and released when the study fails', { timeout: 60_000 }, async () => {
    const ended = spawnSync(process.execPath, ['-e', '0']).pid!;
    const stale = { format: FOLDER_LOCK_FORMAT, pid: ended, host: hostname(), since: '2026-12-01T00:00:00.000Z', command: 'dermagan study --out x', token: 'stale' };
    await writeFile(join(out(), STUDY_LOCK_FILE), JSON.stringify(stale));
    const failed = await dermagan('study', '--preset', 'smoke', '--out', out(), '--restart', 'nope');
    expect(failed.code, failed.stderr).toBe(2);
    expect(failed.stderr).toContain(`${join(out(), STUDY_LOCK_FILE)}: the study that held it (pid ${ended} on ${hostname()}, since 2026-12-01T00:00:00.000Z: dermagan study --out x) has ended without releasing it`);
    expect(failed.stderr).toMatch(/--restart nope: no step of this study is named so/);
    await lockGone(out());
  });

  it('a study run from a copy of OUT on another machine (one store) is refused; --break-lock takes its lease with a note', { timeout: 120_000 }, async () => {
    const { runId } = JSON.parse(await readFile(join(out(), 'study.json'), 'utf8')) as { runId: string };
    const store = new LocalStore({ root: join(out(), 'store') });
    const since = new Date().toISOString();
    const other = { format: FOLDER_LOCK_FORMAT, pid: 4242, host: 'ward-7', since, command: 'dermagan study --store s3 --out /copy', identity: null, token: 'theirs', renewedAt: since };
    await store.put('dermagan', studyLeaseKey(runId), JSON.stringify(other));
    const refused = await dermagan('study', '--preset', 'smoke', '--out', out());
    expect(refused.code, refused.stderr).toBe(2);
    expect(refused.stderr).toContain(`study ${runId} is being run by another dermagan study: pid 4242 on host ward-7, since ${since}`);
    expect(refused.stderr).toContain('Wait for it to finish, or stop it with Ctrl-C on ward-7');
    await lockGone(out());
    expect(JSON.parse((await store.getBytes('dermagan', studyLeaseKey(runId))).toString()).token).toBe('theirs');

    const run = startStudy(out(), ['--break-lock']);
    await run.whenSeen(new RegExp(`--break-lock: took dermagan/runs/${runId}/study/lease\\.json from pid 4242 on ward-7`));
    await run.whenSeen(/reused \(done before\)|ingest/);
    expect(JSON.parse((await store.getBytes('dermagan', studyLeaseKey(runId))).toString()).pid).toBe(run.pid);
    run.kill('SIGINT');
    expect((await run.ended).code).toBe(130);
    expect(await store.stat('dermagan', studyLeaseKey(runId))).toBeNull(); // released
  });

  it('a second Ctrl-C exits at once, and the lock goes with it', { timeout: 120_000 }, async () => {
    const run = startStudy(out());
    await run.whenSeen(/reused \(done before\)|ingest/); // its Ctrl-C handler is in place
    expect(await lockedBy(out())).toBe(run.pid);
    run.kill('SIGINT');
    await run.whenSeen(/SIGINT: stopping/);
    run.kill('SIGINT');
    const stopped = await run.ended;
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain('SIGINT again: exiting now');
    await lockGone(out());
  });
});
