/**
 * A dermagan Job from the chart's JobTemplate and what one request adds (its name, the worker's
 * entry point and environment, its GPUs): one worker pod on the template's pool that Kubernetes
 * never restarts in place, disruptions not counted against backoffLimit, and the worker's
 * "cannot succeed" exit codes failing the Job at once.
 */
import type { V1Job } from '@kubernetes/client-node';
import { ANNOTATIONS, LABELS, requestHash, runLabel } from './job-labels.ts';
import type { JobTemplate } from './job-template.ts';

export interface JobRequest {
  /** The Job's name (jobName). */
  name: string;
  /** The managing service (KubeJobs' managedBy): its watch sees only its own Jobs. */
  managedBy: string;
  /** `app.kubernetes.io/component`, e.g. training, federation-round. */
  component: string;
  run: string;
  /** The id of the event the Job was made for (every attempt of one request shares it). */
  requestId: string;
  attempt: number;
  gpus: number;
  /** The container's name (podFailurePolicy rules name it). */
  container: string;
  /** The worker's entry point in the gan-trainer image (services/gan-trainer/src/<entry>.ts). */
  entry: string;
  /** Its DERMAGAN_SERVICE (logs, metrics). */
  service: string;
  /** Environment besides the template's (the request itself, the attempt). */
  env: Array<{ name: string; value: string }>;
  /** Where the worker leaves its result for the manager (`bucket/key`). */
  result: string;
  /** Exit codes that mean retrying cannot help: the Job fails at once. */
  failJobOnExitCodes: number[];
  /** More labels (e.g. the tenant). */
  labels?: Record<string, string>;
}

export function jobFromTemplate(template: JobTemplate, request: JobRequest): V1Job {
  const labels = {
    ...template.labels,
    ...request.labels,
    [LABELS.managedBy]: request.managedBy,
    [LABELS.component]: request.component,
    [LABELS.partOf]: 'dermagan',
    [LABELS.run]: runLabel(request.run),
    [LABELS.request]: requestHash(request.requestId),
  };
  const limits = { ...template.resources.limits, ...(request.gpus > 0 ? { 'nvidia.com/gpu': String(request.gpus) } : {}) };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: request.name,
      namespace: template.namespace,
      labels,
      annotations: {
        [ANNOTATIONS.run]: request.run,
        [ANNOTATIONS.requestId]: request.requestId,
        [ANNOTATIONS.attempt]: String(request.attempt),
        [ANNOTATIONS.gpus]: String(request.gpus),
        [ANNOTATIONS.result]: request.result,
      },
    },
    spec: {
      // Pod failures that count: a crash, an OOM kill. Disruptions (eviction, preemption, a node
      // drained) are ignored and the pod is replaced; a request the worker cannot use fails the Job at once.
      backoffLimit: template.backoffLimit,
      podFailurePolicy: {
        rules: [
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
          { action: 'FailJob', onExitCodes: { containerName: request.container, operator: 'In', values: request.failJobOnExitCodes } },
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
              name: request.container,
              image: template.image,
              imagePullPolicy: template.imagePullPolicy,
              env: [
                ...(template.env as Array<{ name: string }>),
                { name: 'SERVICE', value: 'gan-trainer' },
                { name: 'DERMAGAN_ENTRY', value: request.entry },
                { name: 'DERMAGAN_SERVICE', value: request.service },
                ...request.env,
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

/** The value of one of the worker's environment variables, as the Job spells it (its own record). */
export function workerEnv(job: V1Job, name: string): string | undefined {
  return job.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === name)?.value;
}
