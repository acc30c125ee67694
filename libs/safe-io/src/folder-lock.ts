/**
 * One process at a time in a folder: an exclusive lock file inside it (e.g. `OUT/.study.lock`)
 * naming its holder (pid, host, start time, command line).
 *
 * Taking it is atomic: the whole content is written to a temp file first, then hard-linked to the
 * lock's name, which fails when the name exists — so nobody ever reads a half-written lock. When
 * it exists, the holder decides: a process on this host that no longer runs (signal 0 → ESRCH:
 * killed, crashed; on Linux also a pid since reused by another process, e.g. pid 1 of a restarted
 * container, or a lock from before the machine restarted: the lock records the boot id and the
 * process's start time) left a stale lock, which is taken over; a live one, a
 * lock from another host (this host cannot see its processes), or a lock that names nobody are
 * refused with a message saying who holds it and what to do. Only `breakLock` (the user's
 * knowing `--break-lock`) takes those. Removing a lock someone else may take over happens under a
 * short guard file, so two processes breaking the same stale lock cannot both end up holding it.
 *
 * Releasing compares the file with what this process wrote (its random token included) and removes
 * it only then: a lock that was broken and taken by another process is never deleted. The release
 * is synchronous, so it can run in a process 'exit' listener (after `process.exit`).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, open, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { OutputRefusedError } from './output-folder.ts';

export const FOLDER_LOCK_FORMAT = 'dermagan.lock/v1';

/** Who holds a lock. */
export interface LockHolder {
  pid: number;
  host: string;
  /** When it was taken (ISO 8601). */
  since: string;
  /** The command line that holds it, as the user would type it. */
  command: string;
  /** Which process the pid was (processIdentity), or null where that cannot be read. */
  identity: string | null;
}

export interface FolderLockOptions {
  /** The lock file's name inside the folder (`.study.lock`). */
  file: string;
  /** What holds such a lock, for messages: 'dermagan study'. */
  title: string;
  /** This process's command line, recorded in the lock. */
  command: string;
  /** The flag the user passes to take a lock that is not taken over by itself (`--break-lock`), for messages. */
  breakFlag: string;
  /** Take the lock whoever holds it: the user passed `breakFlag` knowingly. */
  breakLock?: boolean;
  /** For tests: this host's name, this process's pid, whether a pid runs on this host and which process it is, the clock. */
  host?: string;
  pid?: number;
  isAlive?: (pid: number) => boolean;
  identify?: (pid: number) => string | null;
  now?: () => Date;
}

export interface FolderLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** The lock this one replaced: its holder (null: the file named none) and why (its process had ended, or breakLock). */
  readonly tookOver: { holder: LockHolder | null; why: 'ended' | 'broken' } | null;
  /** Remove the lock file if it is still this one; true when removed. Synchronous, idempotent, never throws. */
  release(): boolean;
}

/** The folder is locked by another process; the message names it and says what to do. Exit 2 in the CLI. */
export class FolderLockedError extends OutputRefusedError {
  constructor(
    message: string,
    /** The holder, or null when the lock file names none. */
    readonly holder: LockHolder | null,
  ) {
    super(message);
  }
}

/** Tries before giving up on a lock that keeps changing hands (a busy break guard waits 20 ms: ~20 s in all, past a stale guard's 10 s). */
const MAX_ATTEMPTS = 1000;
/** A break guard older than this was left by a process killed while breaking a lock. */
const STALE_GUARD_MS = 10_000;

/** Take the lock of `dir` (which must exist), or throw FolderLockedError naming who holds it. */
export async function takeFolderLock(dir: string, o: FolderLockOptions): Promise<FolderLock> {
  const path = join(dir, o.file);
  const host = o.host ?? hostname();
  const now = o.now ?? (() => new Date());
  const isAlive = o.isAlive ?? processRuns;
  const identify = o.identify ?? processIdentity;
  const pid = o.pid ?? process.pid;
  const holder: LockHolder = { pid, host, since: now().toISOString(), command: o.command, identity: identify(pid) };
  const runs = (h: LockHolder) => holderRuns(h, isAlive, identify);
  const content = `${JSON.stringify({ format: FOLDER_LOCK_FORMAT, ...holder, token: randomBytes(8).toString('hex') })}\n`;
  let tookOver: FolderLock['tookOver'] = null;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (await createExclusive(path, content)) return heldLock(path, holder, content, tookOver);
    const held = await readLock(path);
    if (held === null) continue; // released between our two looks
    const why = o.breakLock ? 'broken' : held.holder && held.holder.host === host && !runs(held.holder) ? 'ended' : null;
    if (why === null) throw new FolderLockedError(refusal(dir, path, held.holder, host, now(), o), held.holder);
    if (await removeIfUnchanged(path, held.raw)) tookOver = { holder: held.holder, why };
  }
  throw new Error(`${path} kept changing hands while this process tried to take it (${MAX_ATTEMPTS} tries); is a script starting many ${o.title} commands on ${dir}?`);
}

/** Whether a holder on this host runs: its pid does and is still the process that took the lock. */
export function holderRuns(h: LockHolder, isAlive: (pid: number) => boolean = processRuns, identify: (pid: number) => string | null = processIdentity): boolean {
  return isAlive(h.pid) && (h.identity === null || identify(h.pid) === null || identify(h.pid) === h.identity);
}

/** Whether a process with this pid runs on this host (EPERM: it runs as another user). */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Which process `pid` is, beyond its number (pids are reused): on Linux the boot id and the
 * process's start time in clock ticks since boot (/proc); null where they cannot be read.
 */
export function processIdentity(pid: number): string | null {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces and parentheses): state is field 3, starttime field 22.
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3];
    return boot && start && /^\d+$/.test(start) ? `${boot}/${start}` : null;
  } catch {
    return null;
  }
}

/** The holder a lock file names, or null when it names none (not a lock dermagan wrote, or damaged). */
export function parseLockHolder(raw: string): LockHolder | null {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  if (v === null || typeof v !== 'object') return null;
  const r = v as Record<string, unknown>;
  if (r.format !== FOLDER_LOCK_FORMAT || !Number.isInteger(r.pid) || (r.pid as number) <= 0) return null;
  if (typeof r.host !== 'string' || typeof r.since !== 'string' || typeof r.command !== 'string') return null;
  const identity = typeof r.identity === 'string' ? r.identity : null;
  return { pid: r.pid as number, host: r.host, since: r.since, command: r.command, identity };
}

/** Create `path` holding `content` if no file has that name; false when one has. */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const temp = `${path}.new-${randomBytes(4).toString('hex')}`;
  await writeFile(temp, content, { flag: 'wx', mode: 0o644 });
  try {
    await link(temp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** The lock file's text and the holder it names; null when there is no lock file. */
async function readLock(path: string): Promise<{ raw: string; holder: LockHolder | null } | null> {
  try {
    const raw = await readFile(path, 'utf8');
    return { raw, holder: parseLockHolder(raw) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Remove the lock at `path` if it still reads `raw`, under a guard file (`<lock>.break`) that one
 * process at a time holds; false when another process is breaking it or it changed (try again).
 */
async function removeIfUnchanged(path: string, raw: string): Promise<boolean> {
  const guard = `${path}.break`;
  try {
    await (await open(guard, 'wx')).close();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const left = await stat(guard).catch(() => null);
    if (left && Date.now() - left.mtimeMs > STALE_GUARD_MS) await unlink(guard).catch(() => undefined);
    await sleep(20);
    return false;
  }
  try {
    if ((await readLock(path))?.raw !== raw) return false;
    await unlink(path);
    return true;
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

function heldLock(path: string, holder: LockHolder, content: string, tookOver: FolderLock['tookOver']): FolderLock {
  let released = false;
  return {
    path,
    holder,
    tookOver,
    release() {
      if (released) return false;
      released = true;
      try {
        if (readFileSync(path, 'utf8') !== content) return false; // broken and taken by another process: theirs now
        unlinkSync(path);
        return true;
      } catch {
        return false; // gone already; anything else leaves a lock whose pid has ended, taken over by the next run
      }
    },
  };
}

/** Why the lock cannot be taken, and what the user can do. */
function refusal(dir: string, path: string, holder: LockHolder | null, host: string, now: Date, o: FolderLockOptions): string {
  if (!holder) {
    return `${dir} is locked by ${path}, which does not say who holds it (not a lock dermagan wrote, or a damaged one).\n` +
      `If no ${o.title} runs on ${dir}, run this command again with ${o.breakFlag}.`;
  }
  const here = holder.host === host;
  const lines = [`${dir} is in use by another ${o.title}: ${describeHolder(holder, host, now)}`];
  if (here) {
    lines.push(
      `Wait for it to finish, or stop it with Ctrl-C in its terminal (or kill -INT ${holder.pid}), then run this command again.`,
      `If pid ${holder.pid} is no longer that command (the number was reused), run this command again with ${o.breakFlag}.`,
    );
  } else {
    lines.push(
      `Wait for it to finish, or stop it with Ctrl-C on ${holder.host}, then run this command again.`,
      `A lock from another host is never taken over by itself (this host cannot see whether it runs): if that process is gone ` +
        `(its machine stopped), run this command again with ${o.breakFlag} — only then: two processes writing one folder corrupt it.`,
    );
  }
  return lines.join('\n');
}

/** "pid 12 on host b, since <time> (12 min ago): dermagan study …", for messages. */
export function describeHolder(holder: LockHolder, host: string, now: Date): string {
  const where = holder.host === host ? `this host (${host})` : `host ${holder.host}`;
  return `pid ${holder.pid} on ${where}, since ${holder.since}${age(holder.since, now)}: ${holder.command}`;
}

/** " (12 min ago)", or nothing for a time that does not parse or lies ahead. */
export function age(since: string, now: Date): string {
  const ms = now.getTime() - Date.parse(since);
  if (!Number.isFinite(ms) || ms < 0) return '';
  const min = Math.floor(ms / 60_000);
  if (min < 1) return ` (${Math.floor(ms / 1000)} s ago)`;
  return min < 120 ? ` (${min} min ago)` : ` (${(min / 60).toFixed(1)} h ago)`;
}
