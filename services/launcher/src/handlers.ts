/**
 * The launcher's event handlers (the Job watcher is in watcher.ts):
 *   `training.requested`        → the run's first training Job on the GPU pool. The handler returns
 *                                 (and the consumer commits) once the Job exists, not when training
 *                                 ends; a redelivered request finds its Job by name and adds none.
 *   `training.cancel.requested` → every Job of the run deleted with its pods → `training.cancelled`.
 */
import type { Subscription } from '@dermagan/bus';
import {
  ContractError, TrainingCancelled, TrainingCancelRequested, TrainingRequested, type DermaganEvent,
} from '@dermagan/contracts';
import type { z } from 'zod';
import { runLabel, type JobTemplate, type KubeJobs } from '@dermagan/kube';
import { buildTrainingJob, type TrainingRequestedData } from './job-spec.ts';

export const LAUNCHER_SOURCE = '/dermagan/launcher';

export interface LauncherDeps {
  jobs: KubeJobs;
  template: JobTemplate;
}

type CancelData = z.output<typeof TrainingCancelRequested.schema>;

export async function launchTraining(event: DermaganEvent<TrainingRequestedData>, deps: LauncherDeps): Promise<{ job: string; created: boolean }> {
  if (event.data.run.length > 253) throw new ContractError(`training.requested: run name longer than 253 characters`);
  const { job, created } = await deps.jobs.createOnce(buildTrainingJob(event, 1, deps.template));
  return { job: job.metadata!.name!, created };
}

export async function cancelTraining(event: DermaganEvent<CancelData>, deps: LauncherDeps): Promise<DermaganEvent<unknown>> {
  const jobs = await deps.jobs.listRun(runLabel(event.data.run));
  const deleted: string[] = [];
  for (const job of jobs) {
    if (await deps.jobs.delete(job.metadata!.name!)) deleted.push(job.metadata!.name!);
  }
  return TrainingCancelled.create({ run: event.data.run, jobs: deleted.sort() }, { source: LAUNCHER_SOURCE, causedBy: event });
}

export function launcherSubscriptions(deps: LauncherDeps, onLaunched?: (run: string, r: { job: string; created: boolean }) => void): Subscription<unknown>[] {
  const launch: Subscription<TrainingRequestedData> = {
    group: 'launcher',
    types: [TrainingRequested.type],
    parse: (raw) => TrainingRequested.parse(raw),
    handler: async (event) => {
      const launched = await launchTraining(event, deps);
      onLaunched?.(event.data.run, launched);
    },
  };
  const cancel: Subscription<CancelData> = {
    group: 'launcher-cancel',
    types: [TrainingCancelRequested.type],
    parse: (raw) => TrainingCancelRequested.parse(raw),
    handler: async (event, context) => context.publish(await cancelTraining(event, deps)),
  };
  return [launch, cancel] as Subscription<unknown>[];
}
