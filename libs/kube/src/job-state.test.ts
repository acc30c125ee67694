import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { jobState } from './job-state.ts';

const created = new Date('2026-12-01T10:00:00Z');
const job = (conditions: Array<{ type: string; status: string; reason?: string; message?: string }> = []): V1Job => ({
  metadata: { name: 'j', creationTimestamp: created },
  status: { conditions: conditions as V1Job['status'] extends infer S ? S extends { conditions?: infer C } ? C : never : never },
});
const pod = (phase: string, extra: Partial<V1Pod['status']> = {}, node?: string): V1Pod => ({ spec: { containers: [], ...(node ? { nodeName: node } : {}) }, status: { phase, ...extra } });

describe('jobState', () => {
  it('job=Complete → succeeded', () => {
    expect(jobState(job([{ type: 'Complete', status: 'True' }]), [])).toEqual({ phase: 'succeeded' });
  });

  it('job=Failed reason=PodFailurePolicy → failed, invalid-request (not retried)', () => {
    const s = jobState(job([{ type: 'Failed', status: 'True', reason: 'PodFailurePolicy', message: 'exit code 2' }]), []);
    expect(s).toEqual({ phase: 'failed', cause: 'invalid-request', message: 'PodFailurePolicy: exit code 2' });
  });

  it('job=Failed reason=BackoffLimitExceeded → failed, retriable (a successor resumes)', () => {
    expect(jobState(job([{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]), [])).toMatchObject({ phase: 'failed', cause: 'retriable' });
  });

  it('a Running and Ready pod → running on its node', () => {
    const p = pod('Running', { conditions: [{ type: 'Ready', status: 'True' }] }, 'gpu-node-1');
    expect(jobState(job(), [pod('Failed'), p])).toEqual({ phase: 'running', node: 'gpu-node-1' });
  });

  it("an unschedulable pod → waiting with the scheduler's message, since the Job was created", () => {
    const p = pod('Pending', { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/4 nodes are available: 2 Insufficient nvidia.com/gpu.' }] });
    expect(jobState(job(), [p])).toEqual({ phase: 'waiting', since: created, unschedulable: '0/4 nodes are available: 2 Insufficient nvidia.com/gpu.' });
  });

  it('no pod yet, or a pod being deleted → waiting, nothing to report', () => {
    expect(jobState(job(), [])).toMatchObject({ phase: 'waiting', unschedulable: null });
    const leaving: V1Pod = { ...pod('Running', { conditions: [{ type: 'Ready', status: 'True' }] }, 'n'), metadata: { deletionTimestamp: new Date() } };
    expect(jobState(job(), [leaving])).toMatchObject({ phase: 'waiting', unschedulable: null });
  });
});
