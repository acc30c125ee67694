/**
 * One study process at a time per study, wherever its output folder is. The folder lock
 * (study-lock.ts) keeps two processes off one folder; with `--store s3` two machines with copies
 * of one folder would still share the study's ledger in the bucket. The lease closes that: an
 * object beside the ledger (`runs/<runId>/study/lease.json`) that names its holder, created only
 * if absent (the store's `ifAbsent` put: S3 `If-None-Match: *`), renewed while the study runs and
 * deleted when it ends.
 *
 * A lease that exists is taken over by itself when its holder is a process of this host that has
 * ended (as the folder lock), or when it has not been renewed for LEASE_EXPIRES_MS (its machine
 * stopped, or its process was killed on another host); anything else is refused with who holds it
 * and what to do, unless the user passes `--break-lock`. A holder that finds, at a renewal, that
 * its lease was taken (broken, or expired while its machine slept) is told through `lost`, and
 * the study stops at its steps' next checkpoints: the other process continues the study.
 *
 * Taking over is a delete then a create-if-absent: two processes taking over the same dead lease
 * at once cannot both create it, but one may delete the lease the other has just created (a
 * window of one round trip, between two processes that both judged the holder gone).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  age, describeHolder, FolderLockedError, holderRuns, parseLockHolder, processIdentity, processRuns, FOLDER_LOCK_FORMAT, type LockHolder,
} from '@dermagan/safe-io';
import { NotFoundError, ObjectExistsError, type ObjectStore } from '@dermagan/store';

/** How often a running study renews its lease. */
export const LEASE_RENEW_MS = 30_000;
/**
 * A lease not renewed for this long is taken over by any host: well past a renewal missed to a
 * busy event loop or a store outage (retried for about a minute), short enough that a study whose
 * machine stopped can be continued elsewhere the same morning without --break-lock.
 */
export const LEASE_EXPIRES_MS = 10 * 60_000;
/** Tries before giving up on a lease that keeps changing hands. */
const MAX_ATTEMPTS = 20;

/** The study's lease object, beside its ledger. */
export function studyLeaseKey(runId: string): string {
  return `runs/${runId}/study/lease.json`;
}

export interface StudyLeaseOptions {
  /** This process's command line, recorded in the lease and shown to a process refused. */
  command: string;
  /** The flag that takes a lease that is not taken over by itself (`--break-lock`), for messages. */
  breakFlag: string;
  /** The user passed breakFlag: take the lease whoever holds it. */
  breakLock: boolean;
  /** Called once when a renewal finds the lease taken by another process (stop the study). */
  onLost?: (holder: LockHolder | null) => void;
  /** For tests: this host, this pid, which pids run here and which process they are, the clock, the renewal period. */
  host?: string;
  pid?: number;
  isAlive?: (pid: number) => boolean;
  identify?: (pid: number) => string | null;
  now?: () => Date;
  renewMs?: number;
}

export interface StudyLease {
  /** `bucket/key` of the lease object. */
  readonly location: string;
  /** The lease this one replaced: its holder (null: it named none) and why. */
  readonly tookOver: { holder: LockHolder | null; why: 'ended' | 'expired' | 'broken' } | null;
  /** Write the lease again with a new renewal time; false (and `lost` called) when another process holds it now. */
  renew(): Promise<boolean>;
  /** Stop renewing and delete the lease if it is still this process's; true when deleted. Never throws. */
  release(): Promise<boolean>;
}

/** The lease as stored. */
interface LeaseRecord {
  holder: LockHolder | null;
  token: string | null;
  renewedAt: string | null;
}

/** Take the lease of study `runId` in `bucket` of `store`, or throw FolderLockedError naming who holds it. */
export async function takeStudyLease(store: ObjectStore, bucket: string, runId: string, o: StudyLeaseOptions): Promise<StudyLease> {
  const key = studyLeaseKey(runId);
  const location = `${bucket}/${key}`;
  const host = o.host ?? hostname();
  const now = o.now ?? (() => new Date());
  const identify = o.identify ?? processIdentity;
  const pid = o.pid ?? process.pid;
  const holder: LockHolder = { pid, host, since: now().toISOString(), command: o.command, identity: identify(pid) };
  const token = randomBytes(8).toString('hex');
  const content = () => `${JSON.stringify({ format: FOLDER_LOCK_FORMAT, ...holder, token, renewedAt: now().toISOString() })}\n`;

  await store.ensureBucket(bucket);
  let tookOver: StudyLease['tookOver'] = null;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    try {
      await store.put(bucket, key, content(), { contentType: 'application/json', ifAbsent: true });
      return heldLease(store, bucket, key, token, content, tookOver, o);
    } catch (err) {
      if (!(err instanceof ObjectExistsError)) throw err;
    }
    const held = await readLease(store, bucket, key);
    if (held === null) continue; // released between our two looks
    if (held.token === token) return heldLease(store, bucket, key, token, content, tookOver, o); // our own put, retried after a lost reply
    const why = o.breakLock
      ? 'broken'
      : held.holder && held.holder.host === host && !holderRuns(held.holder, o.isAlive ?? processRuns, identify)
        ? 'ended'
        : expired(held, now())
          ? 'expired'
          : null;
    if (why === null) throw new FolderLockedError(refusal(runId, location, held, host, now(), o), held.holder);
    await store.delete(bucket, key);
    tookOver = { holder: held.holder, why };
  }
  throw new Error(`${location} kept changing hands while this process tried to take it (${MAX_ATTEMPTS} tries); are several dermagan study commands continuing study ${runId}?`);
}

function heldLease(store: ObjectStore, bucket: string, key: string, token: string, content: () => string, tookOver: StudyLease['tookOver'], o: StudyLeaseOptions): StudyLease {
  let lost = false;
  let released = false;
  // Renewals and the release run one at a time: a renewal's write never lands after the release's delete.
  let last: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
    const turn = last.then(work);
    last = turn.catch(() => undefined);
    return turn;
  };
  const renewNow = async (): Promise<boolean> => {
    if (lost || released) return false;
    const held = await readLease(store, bucket, key);
    if (held?.token !== token) {
      lost = true;
      clearInterval(timer);
      o.onLost?.(held?.holder ?? null);
      return false;
    }
    await store.put(bucket, key, content(), { contentType: 'application/json' });
    return true;
  };
  const renew = () => inTurn(renewNow);
  // A renewal the store does not answer is tried again at the next one; the lease expires only after many.
  const timer = setInterval(() => void renew().catch(() => undefined), o.renewMs ?? LEASE_RENEW_MS);
  timer.unref();
  return {
    location: `${bucket}/${key}`,
    tookOver,
    renew,
    async release() {
      if (released) return false;
      released = true;
      clearInterval(timer);
      return inTurn(async () => {
        try {
          if ((await readLease(store, bucket, key))?.token !== token) return false; // taken by another process: theirs now
          await store.delete(bucket, key);
          return true;
        } catch {
          return false; // left behind: taken over once its process has ended (this host) or it expires
        }
      });
    },
  };
}

/** The stored lease, or null when there is none. */
async function readLease(store: ObjectStore, bucket: string, key: string): Promise<LeaseRecord | null> {
  let raw: string;
  try {
    raw = (await store.getBytes(bucket, key)).toString('utf8');
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
  let fields: Record<string, unknown> = {};
  try {
    fields = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    // not a lease dermagan wrote: it names nobody
  }
  return {
    holder: parseLockHolder(raw),
    token: typeof fields.token === 'string' ? fields.token : null,
    renewedAt: typeof fields.renewedAt === 'string' ? fields.renewedAt : null,
  };
}

function expired(held: LeaseRecord, now: Date): boolean {
  const renewed = held.renewedAt === null ? Number.NaN : Date.parse(held.renewedAt);
  return Number.isFinite(renewed) && now.getTime() - renewed > LEASE_EXPIRES_MS;
}

/** Why the lease cannot be taken, and what the user can do. */
function refusal(runId: string, location: string, held: LeaseRecord, host: string, now: Date, o: StudyLeaseOptions): string {
  if (!held.holder) {
    return `study ${runId} is locked by ${location}, which does not say who holds it (not a lease dermagan wrote, or a damaged one).\n` +
      `If no dermagan study runs this study anywhere, run this command again with ${o.breakFlag}.`;
  }
  const expires = held.renewedAt ? `last renewed ${held.renewedAt}${age(held.renewedAt, now)}` : 'never renewed';
  return [
    `study ${runId} is being run by another dermagan study: ${describeHolder(held.holder, host, now)}`,
    `(its lease ${location}, ${expires}: another copy of this output folder, on a machine that shares the store).`,
    `Wait for it to finish, or stop it with Ctrl-C on ${held.holder.host}, then run this command again.`,
    `If that process is gone, its lease is taken over by itself once it has not been renewed for ${LEASE_EXPIRES_MS / 60_000} min; ` +
      `to take it now run this command again with ${o.breakFlag} — only when it is gone: two processes running one study corrupt it.`,
  ].join('\n');
}
