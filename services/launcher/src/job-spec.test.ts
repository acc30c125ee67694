import { describe, expect, it } from 'vitest';
import { TrainingRequested, TRAINING_JOB } from '@dermagan/contracts';
import { ANNOTATIONS, JobTemplate, LABELS, runLabel } from '@dermagan/kube';
import { buildTrainingJob, trainingJobName } from './job-spec.ts';

const manifest = { bucket: 'b', key: 'datasets/d/manifest.json', sha256: 'a'.repeat(64), size: 10 };
const request = (gpus?: number, run = 'ben-gan') =>
  TrainingRequested.create(
    { run, dataset: { bucket: 'b', prefix: 'datasets/d/', manifest }, config: { res: 16, kimg: 1 }, output: { bucket: 'b', prefix: 'runs/s/gans/ben-gan/' }, ...(gpus === undefined ? {} : { gpus }) },
    { id: 'request-1' },
  );
const template = JobTemplate.parse({
  namespace: 'dermagan',
  image: 'dermagan:0.1.0-gpu',
  gpus: 1,
  nodeSelector: { 'dermagan.org/pool': 'gpu' },
  tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
  resources: { requests: { cpu: '4', memory: '16Gi' }, limits: { cpu: '8', memory: '32Gi' } },
  env: [{ name: 'DERMAGAN_BUS', value: 'kafka' }],
});

describe('trainingJobName', () => {
  it('is the same for the same request and attempt, different across requests and attempts', () => {
    expect(trainingJobName('ben-gan', 'id-1', 1)).toBe(trainingJobName('ben-gan', 'id-1', 1));
    expect(trainingJobName('ben-gan', 'id-1', 1)).not.toBe(trainingJobName('ben-gan', 'id-2', 1));
    expect(trainingJobName('ben-gan', 'id-1', 2)).toBe(`${trainingJobName('ben-gan', 'id-1', 1)}-r1`);
  });

  it('is a DNS label of at most 63 characters for any run name', () => {
    for (const run of ['Ben GAN/ü', 'x'.repeat(300), '---', 'a']) {
      const name = trainingJobName(run, 'id', 4);
      expect(name, run).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(name.length, run).toBeLessThanOrEqual(63);
    }
  });
});

describe('runLabel', () => {
  it('keeps a valid run name and hashes an invalid or long one into a valid label value', () => {
    expect(runLabel('ben-gan')).toBe('ben-gan');
    for (const run of ['runs/ben gan', 'y'.repeat(80), '_x_']) {
      const label = runLabel(run);
      expect(label, run).toMatch(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/);
      expect(label.length, run).toBeLessThanOrEqual(63);
    }
    expect(runLabel('y'.repeat(80))).not.toBe(runLabel('y'.repeat(81)));
  });
});

describe('buildTrainingJob', () => {
  it('puts one training pod on the GPU pool with its GPU, the request, and labels linking it to the run', () => {
    const event = request();
    const job = buildTrainingJob(event, 1, template);
    const pod = job.spec!.template.spec!;
    const c = pod.containers[0]!;
    expect(job.metadata!.namespace).toBe('dermagan');
    expect(job.metadata!.labels![LABELS.run]).toBe('ben-gan');
    expect(job.metadata!.annotations![ANNOTATIONS.requestId]).toBe('request-1');
    expect(pod.nodeSelector).toEqual({ 'dermagan.org/pool': 'gpu' });
    expect(pod.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(c.resources!.limits).toEqual({ cpu: '8', memory: '32Gi', 'nvidia.com/gpu': '1' });
    expect(c.image).toBe('dermagan:0.1.0-gpu');
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.automountServiceAccountToken).toBe(false);
    const env = Object.fromEntries(c.env!.map((e) => [e.name, e.value]));
    expect(JSON.parse(env[TRAINING_JOB.requestEnv]!).id).toBe('request-1');
    expect(env).toMatchObject({ SERVICE: 'gan-trainer', DERMAGAN_ENTRY: 'job-main', DERMAGAN_BUS: 'kafka', [TRAINING_JOB.attemptEnv]: '1' });
  });

  it('does not count disruptions against backoffLimit and fails at once on an invalid request', () => {
    const spec = buildTrainingJob(request(), 1, template).spec!;
    expect(spec.backoffLimit).toBe(2);
    expect(spec.ttlSecondsAfterFinished).toBe(86_400);
    expect(spec.podFailurePolicy!.rules).toEqual([
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      { action: 'FailJob', onExitCodes: { containerName: 'trainer', operator: 'In', values: [TRAINING_JOB.exitCodes.invalidRequest] } },
    ]);
  });

  it("asks the request's GPU count when it names one, none for 0", () => {
    const limits = (gpus?: number) => buildTrainingJob(request(gpus), 1, template).spec!.template.spec!.containers[0]!.resources!.limits!;
    expect(limits()['nvidia.com/gpu']).toBe('1');
    expect(limits(8)['nvidia.com/gpu']).toBe('8');
    expect(limits(0)['nvidia.com/gpu']).toBeUndefined();
  });
});
