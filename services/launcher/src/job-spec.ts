/**
 * The Kubernetes Job of one training attempt, as a pure function of the request, the attempt
 * number and the chart's JobTemplate. Its name is derived from the request's event id, so the
 * same request (a redelivery) always names the same Job and the API server refuses a second
 * one; a successor (attempt n > 1) gets `-r<n-1>`.
 */
import type { V1Job } from '@kubernetes/client-node';
import { TRAINING_JOB, trainingResultLocation, type DermaganEvent, type TrainingRequested } from '@dermagan/contracts';
import { jobFromTemplate, jobName, type JobTemplate } from '@dermagan/kube';
import type { z } from 'zod';

export type TrainingRequestedData = z.output<typeof TrainingRequested.schema>;

/** The launcher's name in its Jobs' managed-by label: its watch sees these Jobs only. */
export const MANAGED_BY = 'dermagan-launcher';

/** `train-<run slug>-<10 hex of the request id>[-r<n>]`: ≤ 63 characters, a DNS label. */
export function trainingJobName(run: string, requestId: string, attempt: number): string {
  return jobName('train', run, requestId, attempt);
}

/** GPUs for a request: its own count when it names one, else the template's. */
export function gpusFor(request: TrainingRequestedData, template: JobTemplate): number {
  return request.gpus ?? template.gpus;
}

export function buildTrainingJob(event: DermaganEvent<TrainingRequestedData>, attempt: number, template: JobTemplate): V1Job {
  const request = event.data;
  const result = trainingResultLocation(request.output);
  return jobFromTemplate(template, {
    name: trainingJobName(request.run, event.id, attempt),
    managedBy: MANAGED_BY,
    component: 'training',
    run: request.run,
    requestId: event.id,
    attempt,
    gpus: gpusFor(request, template),
    container: 'trainer',
    entry: 'job-main',
    service: 'gan-trainer-job',
    env: [
      { name: TRAINING_JOB.requestEnv, value: JSON.stringify(event) },
      { name: TRAINING_JOB.attemptEnv, value: String(attempt) },
    ],
    result: `${result.bucket}/${result.key}`,
    failJobOnExitCodes: [TRAINING_JOB.exitCodes.invalidRequest],
  });
}
