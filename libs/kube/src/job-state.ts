/**
 * What a Job is doing, read from the Job's status and its pods as the control plane
 * reports them (a pure function, so every case is a unit test):
 *   waiting     — no pod running yet; `unschedulable` carries the scheduler's reason when it has
 *                 given one (e.g. more GPUs asked than any node has);
 *   running     — a pod is Running and Ready on `node`;
 *   succeeded   — the Job is Complete;
 *   failed      — the Job is Failed: `invalid-request` when its podFailurePolicy failed it (the
 *                 worker's exit code for a request retrying cannot fix), else `retriable`
 *                 (pod failures beyond backoffLimit, a deadline): a successor may resume it.
 * "invalid-request" is the worker's exit code that the Job's podFailurePolicy turns into a failed
 * Job at once (jobFromTemplate's failJobOnExitCodes).
 */
import type { V1Job, V1Pod } from '@kubernetes/client-node';

export type JobState =
  | { phase: 'waiting'; since: Date; unschedulable: string | null }
  | { phase: 'running'; node: string | null }
  | { phase: 'succeeded' }
  | { phase: 'failed'; cause: 'invalid-request' | 'retriable'; message: string };

const condition = (job: V1Job, type: string) => job.status?.conditions?.find((c) => c.type === type && c.status === 'True');

export function jobState(job: V1Job, pods: V1Pod[]): JobState {
  if (condition(job, 'Complete')) return { phase: 'succeeded' };
  const failed = condition(job, 'Failed');
  if (failed) {
    const message = `${failed.reason ?? 'Failed'}: ${failed.message ?? ''}`.trim();
    return { phase: 'failed', cause: failed.reason === 'PodFailurePolicy' ? 'invalid-request' : 'retriable', message };
  }
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp && (p.status?.phase === 'Pending' || p.status?.phase === 'Running'));
  const running = live.find((p) => p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  if (running) return { phase: 'running', node: running.spec?.nodeName ?? null };
  const unschedulable = live
    .map((p) => p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable'))
    .find((c) => c !== undefined);
  const created = job.metadata?.creationTimestamp;
  return { phase: 'waiting', since: created ? new Date(created) : new Date(), unschedulable: unschedulable ? (unschedulable.message ?? 'Unschedulable') : null };
}
