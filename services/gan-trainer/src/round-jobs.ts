/**
 * Where the hospital runs Kubernetes, the tenant agent trains no round itself: each round it takes
 * part in becomes a Job on the site's GPU pool (round-job-spec.ts), so the GPU is held only while a
 * round trains and the agent's pod needs none. `run` creates the round's Job (a redelivered round
 * finds it by name and adds none), follows it until Kubernetes reports it Complete or Failed, and
 * returns the signed update its worker left in the hospital's bucket for the agent to publish.
 * A round whose deadline passes first gets no update (it would be a straggler's) and its Job is
 * deleted; so does a round whose Job someone deleted. An agent that stops meanwhile leaves the Job
 * running, and finds it again when the round is redelivered to it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FederationUpdateSubmitted, type DermaganEvent } from '@dermagan/contracts';
import { jobState, KubeApiError, type JobTemplate, type KubeJobs } from '@dermagan/kube';
import type { ObjectStore } from '@dermagan/store';
import { buildRoundJob, roundResultKey } from './round-job-spec.ts';
import type { RoundResult } from './round-job-worker.ts';
import { TenantError } from './tenant-error.ts';
import type { RoundRunner, RoundStartedData, UpdateSubmittedData } from './tenant.ts';

export interface RoundJobsDeps {
  jobs: KubeJobs;
  template: JobTemplate;
  tenant: string;
  /** The hospital's bucket (where the worker leaves its result). */
  bucket: string;
  store: ObjectStore;
  logger?: { info: (obj: object, msg: string) => void; warn: (obj: object, msg: string) => void };
  /** How often the Job is looked at, ms (default 2000). */
  pollMs?: number;
  now?: () => number;
}

export class RoundJobs implements RoundRunner {
  constructor(private readonly deps: RoundJobsDeps) {}

  /** The round's signed `federation.update.submitted`, or null when the round gets none from this tenant. */
  async run(event: DermaganEvent<RoundStartedData>, signal?: AbortSignal): Promise<DermaganEvent<UpdateSubmittedData> | null> {
    const { jobs, template, tenant, bucket, logger } = this.deps;
    const now = this.deps.now ?? Date.now;
    const job = buildRoundJob(event, tenant, bucket, template);
    const name = job.metadata!.name!;
    const { created } = await jobs.createOnce(job);
    logger?.info({ job: name, federation: event.runid, round: event.data.round, created }, created ? 'round Job created' : 'round Job found (redelivered round)');
    const deadline = Date.parse(event.data.deadline);
    let lastWait = '';
    for (;;) {
      if (signal?.aborted) throw new TenantError(`tenant ${tenant}: stopped while round Job ${name} runs; it keeps running and is found again when the round is redelivered`, true);
      const current = await jobs.get(name).catch((err: unknown) => (err instanceof KubeApiError && err.status === 404 ? null : Promise.reject(err)));
      if (current === null) {
        logger?.warn({ job: name, federation: event.runid, round: event.data.round }, 'round Job was deleted before it finished: no update from this tenant this round');
        return null;
      }
      const state = jobState(current, await jobs.pods(name));
      if (state.phase === 'succeeded') return this.result(event, name);
      if (state.phase === 'failed') {
        logger?.warn({ job: name, federation: event.runid, round: event.data.round, message: state.message }, 'round Job failed: no update from this tenant this round');
        return null;
      }
      if (now() > deadline) {
        await jobs.delete(name);
        logger?.warn({ job: name, federation: event.runid, round: event.data.round, deadline: event.data.deadline }, 'the round’s deadline passed before its Job finished: Job deleted, no update (it would be a straggler’s)');
        return null;
      }
      if (state.phase === 'waiting' && state.unschedulable && state.unschedulable !== lastWait) {
        lastWait = state.unschedulable;
        logger?.warn({ job: name, message: state.unschedulable }, 'round Job cannot be scheduled yet');
      }
      await sleep(this.deps.pollMs ?? 2000, undefined, signal ? { signal } : undefined).catch(() => undefined);
    }
  }

  /** The update the Job's worker left, checked to be this tenant's for this round. */
  private async result(event: DermaganEvent<RoundStartedData>, job: string): Promise<DermaganEvent<UpdateSubmittedData> | null> {
    const { store, bucket, tenant, logger } = this.deps;
    const key = roundResultKey(event.runid ?? '', event.data.round, event.data.attempt);
    let result: RoundResult;
    try {
      result = JSON.parse((await store.getBytes(bucket, key)).toString('utf8')) as RoundResult;
    } catch (err) {
      throw new TenantError(`round Job ${job} completed but its result ${bucket}/${key} cannot be read: ${(err as Error).message}`, false);
    }
    if (result.update === null) {
      logger?.info({ job, federation: event.runid, round: event.data.round, reason: result.reason }, 'round Job trained nothing');
      return null;
    }
    const update = FederationUpdateSubmitted.parse(result.update);
    const { data } = update;
    if (update.runid !== event.runid || data.tenant !== tenant || data.round !== event.data.round || data.attempt !== event.data.attempt) {
      throw new TenantError(`round Job ${job} left an update for ${update.runid}/${data.tenant} round ${data.round}.${data.attempt}, not this round's: not published`, false);
    }
    return update;
  }
}
