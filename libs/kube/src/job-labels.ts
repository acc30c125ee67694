/**
 * The labels and annotations dermagan's Jobs carry and its managers read back (one place for every
 * key), and the names and label values derived from runs and requests. A Job's name comes from
 * the request's event id, so the same request (a redelivery) always names the same Job and the
 * API server refuses a second one.
 */
import { createHash } from 'node:crypto';

export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  /** The run, as a label value (sanitised; the exact name is in ANNOTATIONS.run). */
  run: 'dermagan.org/run',
  /** The request's event id hash: every attempt of one request shares it. */
  request: 'dermagan.org/request',
} as const;

export const ANNOTATIONS = {
  run: 'dermagan.org/run',
  requestId: 'dermagan.org/request-id',
  attempt: 'dermagan.org/attempt',
  gpus: 'dermagan.org/gpus',
  /** Where the worker writes what its manager publishes once the Job completes (bucket/key). */
  result: 'dermagan.org/result',
  /** The manager's own bookkeeping (which events it has published for this Job). */
  reported: 'dermagan.org/reported',
} as const;

/**
 * `<kind>-<slug of the run>-<10 hex of the request id>[-r<n>]`: a DNS label of ≤ 63 characters,
 * the same for the same request and attempt; a successor (attempt n > 1) gets `-r<n-1>`.
 */
export function jobName(kind: string, run: string, requestId: string, attempt: number): string {
  // ≤ 10 + 1 + 36 + 1 + 10 + 5 (`-r<n>`, n < 1000) = 63
  if (!/^[a-z][a-z0-9]{0,9}$/.test(kind)) throw new TypeError(`jobName: kind must be 1–10 of [a-z0-9], starting with a letter (got ${JSON.stringify(kind)})`);
  const slug = run.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 36).replace(/-+$/, '') || 'run';
  return `${kind}-${slug}-${requestHash(requestId)}${attempt > 1 ? `-r${attempt - 1}` : ''}`;
}

export function requestHash(requestId: string): string {
  return createHash('sha256').update(requestId).digest('hex').slice(0, 10);
}

/** A label value for a run name: ≤ 63 of [A-Za-z0-9._-], starting and ending alphanumeric. */
export function runLabel(run: string): string {
  const clean = run.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  if (clean.length > 0 && clean.length <= 63 && clean === run) return clean;
  return `${clean.slice(0, 52).replace(/[^A-Za-z0-9]+$/, '')}-${createHash('sha256').update(run).digest('hex').slice(0, 10)}`.replace(/^-/, '');
}
