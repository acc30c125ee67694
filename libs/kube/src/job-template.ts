/**
 * What every Job of one kind has in common, as the Helm chart renders it from its values: the GPU
 * image, the GPU pool's node selector and tolerations, resources, the security contexts, the
 * worker's environment (Kafka, S3 with the worker's own credentials), and the Job's retry
 * settings. Two kinds use it: the launcher's training Jobs (charts/dermagan/templates/launcher.yaml
 * → DERMAGAN_LAUNCHER_JOB_TEMPLATE) and a hospital's round Jobs (templates/tenant.yaml →
 * DERMAGAN_TENANT_ROUND_JOB_TEMPLATE). Pod-spec pieces are passed through to Kubernetes as given
 * (the API server validates them).
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '@dermagan/runtime';
import { z } from 'zod';

const Json = z.record(z.string(), z.unknown());

export const JobTemplate = z.object({
  /** Namespace the Jobs are created in (the creating service's own). */
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name'),
  /** The GPU image of the gan-trainer (one of its entry points is the worker). */
  image: z.string().min(1),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
  /** GPUs per Job unless the request's config asks for `gpus` (0 = CPU training). */
  gpus: z.number().int().min(0).max(64).default(1),
  /** Container resources (requests/limits for cpu and memory; the GPU count is added). */
  resources: z.object({ requests: z.record(z.string(), z.union([z.string(), z.number()])).default({}), limits: z.record(z.string(), z.union([z.string(), z.number()])).default({}) }).default({ requests: {}, limits: {} }),
  nodeSelector: z.record(z.string(), z.string()).default({}),
  tolerations: z.array(Json).default([]),
  podSecurityContext: Json.default({}),
  containerSecurityContext: Json.default({}),
  /** The worker's environment (EnvVar objects: value or valueFrom, e.g. the S3 Secret). */
  env: z.array(z.object({ name: z.string().min(1) }).passthrough()).default([]),
  /** Labels every Job and pod gets besides the launcher's own (e.g. the release's). */
  labels: z.record(z.string(), z.string()).default({}),
  /** Pod failures (not disruptions) a Job retries before it fails. */
  backoffLimit: z.number().int().min(0).default(2),
  /** Successor Jobs after a Job fails, each resuming from the last checkpoint (training Jobs). */
  maxSuccessors: z.number().int().min(0).default(3),
  /** Seconds a finished Job is kept before Kubernetes removes it. */
  ttlSecondsAfterFinished: z.number().int().min(0).default(86_400),
  /** Seconds a Job may stay unscheduled before `training.unschedulable` is published. */
  pendingReportSeconds: z.number().min(0).default(120),
  /** Size of the pod's /tmp (an emptyDir: the root filesystem is read-only). */
  scratchSizeLimit: z.string().default('20Gi'),
  /** Grace for SIGTERM (the worker checkpoints at the next tick and exits). */
  terminationGracePeriodSeconds: z.number().int().min(0).default(120),
});
export type JobTemplate = z.output<typeof JobTemplate>;

/**
 * The template from its JSON, or from the file a path names; every problem named at start-up,
 * with the setting it came from.
 */
export function readJobTemplate(jsonOrPath: string, setting: string): JobTemplate {
  let text = jsonOrPath;
  if (!jsonOrPath.trimStart().startsWith('{')) {
    try {
      text = readFileSync(jsonOrPath, 'utf8');
    } catch (err) {
      throw new ConfigError(`${setting}=${jsonOrPath}: not JSON and not a readable file (${(err as Error).message})`);
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${setting}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = JobTemplate.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`${setting}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
