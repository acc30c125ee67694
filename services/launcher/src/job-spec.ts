/**
 * The Kubernetes Job of one training attempt, as a pure function of the request, the attempt
 * number and the chart's JobTemplate. Its name is derived from the request's event id, so the
 * same request (a redelivery) always names the same Job and the API server refuses a second
 * one; a successor (attempt n > 1) gets `-r<n-1>`.
 */
import { createHash } from 'node:crypto';
import type { V1Job } from '@kubernetes/client-node';
import { TRAINING_JOB, trainingResultLocation, type DermaganEvent, type TrainingRequested } from '@dermagan/contracts';
import type { z } from 'zod';
import type { JobTemplate } from './job-template.ts';

export type TrainingRequestedData = z.output<typeof TrainingRequested.schema>;

/** Labels and annotations the launcher reads back (one place for every key). */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  /** The run, as a label value (sanitised; the exact name is in ANNOTATIONS.run). */
  run: 'dermagan.org/run',
  /** The request's event id hash: every attempt of one request shares it. */
  request: 'dermagan.org/request',
} as const;
export const MANAGED_BY = 'dermagan-launcher';
export const ANNOTATIONS = {
  run: 'dermagan.org/run',
  requestId: 'dermagan.org/request-id',
  attempt: 'dermagan.org/attempt',
  gpus: 'dermagan.org/gpus',
  /** Where the worker writes training.completed's data (bucket/key). */
  result: 'dermagan.org/result',
  /** The launcher's own bookkeeping (which events it has published for this Job). */
  reported: 'dermagan.org/reported',
} as const;

/** `train-<run slug>-<10 hex of the request id>[-r<n>]`: ≤ 63 characters, a DNS label. */
export function trainingJobName(run: string, requestId: string, attempt: number): string {
  const hash = requestHash(requestId);
  const slug = run.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 36).replace(/-+$/, '') || 'run';
  return `train-${slug}-${hash}${attempt > 1 ? `-r${attempt - 1}` : ''}`;
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

/** GPUs for a request: its own count when it names one, else the template's. */
export function gpusFor(request: TrainingRequestedData, template: JobTemplate): number {
  return request.gpus ?? template.gpus;
}

export function buildTrainingJob(event: DermaganEvent<TrainingRequestedData>, attempt: number, template: JobTemplate): V1Job {
  const request = event.data;
  const name = trainingJobName(request.run, event.id, attempt);
  const gpus = gpusFor(request, template);
  const result = trainingResultLocation(request.output);
  const labels = {
    ...template.labels,
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.component]: 'training',
    [LABELS.partOf]: 'dermagan',
    [LABELS.run]: runLabel(request.run),
    [LABELS.request]: requestHash(event.id),
  };
  const limits = { ...template.resources.limits, ...(gpus > 0 ? { 'nvidia.com/gpu': String(gpus) } : {}) };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: template.namespace,
      labels,
      annotations: {
        [ANNOTATIONS.run]: request.run,
        [ANNOTATIONS.requestId]: event.id,
        [ANNOTATIONS.attempt]: String(attempt),
        [ANNOTATIONS.gpus]: String(gpus),
        [ANNOTATIONS.result]: `${result.bucket}/${result.key}`,
      },
    },
    spec: {
      // Pod failures that count: a crash, an OOM kill. Disruptions (eviction, preemption, a node
      // drained) are ignored and the pod is replaced; an invalid request fails the Job at once.
      backoffLimit: template.backoffLimit,
      podFailurePolicy: {
        rules: [
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
          { action: 'FailJob', onExitCodes: { containerName: 'trainer', operator: 'In', values: [TRAINING_JOB.exitCodes.invalidRequest] } },
        ],
      },
      ttlSecondsAfterFinished: template.ttlSecondsAfterFinished,
      template: {
        metadata: { labels, annotations: { [ANNOTATIONS.run]: request.run } },
        spec: {
          // A Job's pod is never restarted in place: a replacement pod resumes from the checkpoint.
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          terminationGracePeriodSeconds: template.terminationGracePeriodSeconds,
          nodeSelector: template.nodeSelector,
          tolerations: template.tolerations,
          securityContext: template.podSecurityContext,
          containers: [
            {
              name: 'trainer',
              image: template.image,
              imagePullPolicy: template.imagePullPolicy,
              env: [
                ...(template.env as Array<{ name: string }>),
                { name: 'SERVICE', value: 'gan-trainer' },
                { name: 'DERMAGAN_ENTRY', value: 'job-main' },
                { name: 'DERMAGAN_SERVICE', value: 'gan-trainer-job' },
                { name: TRAINING_JOB.requestEnv, value: JSON.stringify(event) },
                { name: TRAINING_JOB.attemptEnv, value: String(attempt) },
              ],
              resources: { requests: template.resources.requests, limits },
              securityContext: template.containerSecurityContext,
              ports: [{ name: 'http', containerPort: 8080 }],
              volumeMounts: [{ name: 'scratch', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'scratch', emptyDir: { sizeLimit: template.scratchSizeLimit } }],
        },
      },
    },
  } as V1Job;
}
