import { z } from 'zod';
import { defineEvent } from './event.ts';

/**
 * The lifecycle of a training run beyond its progress: where it started, why it is not placed,
 * why it failed, and its cancellation. The launcher (services/launcher) publishes them for
 * training Jobs on a cluster; the in-process trainer publishes `training.started` and
 * `training.failed` too, so a reader cannot tell the settings apart by the events.
 */

/** Where a training attempt runs. */
export const TrainingPlacement = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('in-process'), service: z.string() }),
  z.object({
    kind: z.literal('job'),
    namespace: z.string(),
    /** The Kubernetes Job (deterministic: the same request never makes a second one). */
    job: z.string(),
    /** The node its pod was scheduled on. */
    node: z.string().nullable(),
    /** GPUs the Job requests. */
    gpus: z.number().int().nonnegative(),
  }),
]);
export type TrainingPlacement = z.infer<typeof TrainingPlacement>;

export const TrainingStarted = defineEvent(
  'org.dermagan.training.started.v1',
  z.object({
    run: z.string(),
    /** 1 for the first Job of a request; each successor (resuming from the last checkpoint) adds one. */
    attempt: z.number().int().positive(),
    placement: TrainingPlacement,
  }),
);

/**
 * A training Job that the scheduler cannot place (e.g. more GPUs than any node has, or a node
 * selector no node matches). Published once per Job after `waitedSeconds`; the Job stays, so a
 * node that appears (autoscaling) still runs it.
 */
export const TrainingUnschedulable = defineEvent(
  'org.dermagan.training.unschedulable.v1',
  z.object({
    run: z.string(),
    namespace: z.string(),
    job: z.string(),
    gpus: z.number().int().nonnegative(),
    /** The scheduler's own reason, e.g. `0/4 nodes are available: 2 Insufficient nvidia.com/gpu, …`. */
    message: z.string(),
    waitedSeconds: z.number().nonnegative(),
  }),
);

/** Why a run ended without a model. */
export const TrainingFailureReason = z.enum([
  /** The worker refused its input (exit code 2: bad config, missing dataset); retrying cannot help. */
  'invalid-request',
  /** Every attempt failed (pod failures beyond backoffLimit, in each successor Job). */
  'attempts-exhausted',
  /** An in-process run threw. */
  'error',
]);

export const TrainingFailed = defineEvent(
  'org.dermagan.training.failed.v1',
  z.object({
    run: z.string(),
    reason: TrainingFailureReason,
    message: z.string(),
    /** Attempts made (Jobs, or 1 in-process). */
    attempts: z.number().int().nonnegative(),
  }),
);

export const TrainingCancelRequested = defineEvent(
  'org.dermagan.training.cancel.requested.v1',
  z.object({ run: z.string().min(1) }),
);

export const TrainingCancelled = defineEvent(
  'org.dermagan.training.cancelled.v1',
  z.object({
    run: z.string(),
    /** The Jobs deleted (with their pods); empty when none was left. */
    jobs: z.array(z.string()),
  }),
);

/**
 * The contract between the launcher and the worker it starts in a training Job
 * (services/gan-trainer/src/job-main.ts): the request travels in this environment variable (the
 * `training.requested` envelope as JSON); the worker exits with `invalidRequest` when retrying
 * cannot help (the Job's podFailurePolicy then fails the Job at once); and it leaves the data of
 * `training.completed` at `trainingResultLocation(output)`, which the launcher publishes once the
 * Job has succeeded.
 */
export const TRAINING_JOB = {
  requestEnv: 'DERMAGAN_TRAINING_REQUEST',
  attemptEnv: 'DERMAGAN_TRAINING_ATTEMPT',
  exitCodes: { invalidRequest: 2, interrupted: 75 },
} as const;

export function trainingResultLocation(output: { bucket: string; prefix: string }): { bucket: string; key: string } {
  return { bucket: output.bucket, key: `${output.prefix.replace(/\/+$/, '')}/training-completed.json` };
}
