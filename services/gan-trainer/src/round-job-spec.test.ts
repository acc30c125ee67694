import { existsSync } from 'node:fs';
import { FederationRoundStarted, TRAINING_JOB } from '@dermagan/contracts';
import { ANNOTATIONS, JobTemplate, LABELS, workerEnv } from '@dermagan/kube';
import { describe, expect, it } from 'vitest';
import { buildRoundJob, ROUND_JOB, ROUND_JOB_MANAGER, roundJobName, roundResultKey } from './round-job-spec.ts';

const global = { bucket: 'agg', key: 'federations/f/global/round-0.dgw', sha256: 'a'.repeat(64), size: 10 };
const started = (id: string, round = 3, federation = 'fed-2026') =>
  FederationRoundStarted.create(
    {
      round, attempt: 0, participants: ['hospital-a'], global, deadline: '2026-12-03T12:00:00Z', k: 4,
      ganStatePolicy: { adaP: 'average', plMean: 'average', moments: 'keep-local', gEma: 'average', gEmaBeta: 0.999 },
    },
    { id, runid: federation },
  );
const template = JobTemplate.parse({
  namespace: 'hospital-a',
  image: 'dermagan:0.1.0-gpu',
  nodeSelector: { 'dermagan.org/pool': 'gpu' },
  tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
  env: [{ name: 'DERMAGAN_TENANT', value: 'hospital-a' }],
});

describe('a round Job', () => {
  it('is named by its round event: the same for a redelivery, another for another round; a DNS label', () => {
    expect(roundJobName('hospital-a', started('e1'))).toBe(roundJobName('hospital-a', started('e1')));
    expect(roundJobName('hospital-a', started('e1'))).not.toBe(roundJobName('hospital-a', started('e2')));
    for (const tenant of ['Hospital_A.eu', 'h'.repeat(100)]) {
      const name = roundJobName(tenant, started('e1', 12, 'f'.repeat(120)));
      expect(name).toMatch(/^round-[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(name.length).toBeLessThanOrEqual(63);
    }
  });

  it('runs the round-job-main worker on the GPU pool with one GPU, the round event, and where it leaves its result', () => {
    const job = buildRoundJob(started('e1'), 'hospital-a', 'hospital-a-bucket', template);
    const pod = job.spec!.template.spec!;
    expect(pod.nodeSelector).toEqual({ 'dermagan.org/pool': 'gpu' });
    expect(pod.containers[0]!.resources!.limits).toEqual({ 'nvidia.com/gpu': '1' });
    expect(JSON.parse(workerEnv(job, ROUND_JOB.roundEnv)!).id).toBe('e1');
    expect(workerEnv(job, 'DERMAGAN_TENANT')).toBe('hospital-a');
    const entry = workerEnv(job, 'DERMAGAN_ENTRY')!;
    expect(existsSync(new URL(`./${entry}.ts`, import.meta.url))).toBe(true);
    expect(job.metadata!.labels).toMatchObject({ [LABELS.managedBy]: ROUND_JOB_MANAGER, [LABELS.run]: 'fed-2026', [ROUND_JOB.tenantLabel]: 'hospital-a', [LABELS.component]: 'federation-round' });
    expect(job.metadata!.annotations![ANNOTATIONS.result]).toBe(`hospital-a-bucket/${roundResultKey('fed-2026', 3, 0)}`);
    expect(job.spec!.podFailurePolicy!.rules[1]).toEqual({ action: 'FailJob', onExitCodes: { containerName: 'round', operator: 'In', values: [TRAINING_JOB.exitCodes.invalidRequest] } });
  });
});
