/**
 * The worker of a training Job (services/launcher makes the Job): one `training.requested`, read
 * from the Job's environment, trained by the same handler as the in-process trainer — resuming
 * from the run's last checkpoint in the store when an earlier pod or Job got that far — with
 * `training.progress` and `checkpoint.saved` on the bus. It does not announce the end itself: it
 * leaves `training.completed`'s data in the store, and the launcher publishes it once Kubernetes
 * reports the Job Complete (the Job's outcome and the event cannot disagree).
 */
import { ContractError, TrainingRequested, trainingResultLocation, type DermaganEvent } from '@dermagan/contracts';
import { handleTrainingRequested, type TrainerDeps, type TrainingRequestedData } from './handlers.ts';

export type JobOutcome =
  | { status: 'completed'; run: string; kimg: number; result: { bucket: string; key: string } }
  /** Retrying cannot help (bad config, not a training request): the Job fails at once. */
  | { status: 'invalid-request'; message: string }
  /** SIGTERM (eviction, preemption, drain): the last tick is checkpointed; a new pod resumes. */
  | { status: 'interrupted'; message: string };

export async function runTrainingJob(
  rawRequest: string | undefined,
  deps: TrainerDeps & { publish: (event: DermaganEvent<unknown>) => Promise<void>; signal?: AbortSignal },
): Promise<JobOutcome> {
  let event: DermaganEvent<TrainingRequestedData>;
  try {
    if (!rawRequest) throw new ContractError('no training request in the environment (the launcher sets it)');
    event = TrainingRequested.parse(JSON.parse(rawRequest));
  } catch (err) {
    return { status: 'invalid-request', message: (err as Error).message };
  }
  try {
    const completed = await handleTrainingRequested(event, deps, deps.publish, deps.signal);
    const result = trainingResultLocation(event.data.output);
    await deps.store.put(result.bucket, result.key, JSON.stringify(completed.data), { contentType: 'application/json' });
    return { status: 'completed', run: event.data.run, kimg: completed.data.kimg, result };
  } catch (err) {
    if (err instanceof ContractError) return { status: 'invalid-request', message: err.message };
    if (deps.signal?.aborted && (err as { retriable?: boolean }).retriable) return { status: 'interrupted', message: (err as Error).message };
    throw err;
  }
}
