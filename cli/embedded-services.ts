/**
 * The embedded setting: every service's handlers subscribed on one bus and one store in this
 * process — exactly the subscriptions the services' main.ts make, so an embedded run and a
 * cluster run execute the same code.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventBus } from '@dermagan/bus';
import { FolderCache } from '@dermagan/runtime';
import type { ObjectStore } from '@dermagan/store';
import { ingestSubscription } from '@dermagan/service-ingest';
import { trainerSubscription, type HistoryRecord } from '@dermagan/service-gan-trainer';
import { generatorSubscription } from '@dermagan/service-generator';
import { metricsSubscription } from '@dermagan/service-metrics';
import { classifierSubscription } from '@dermagan/service-classifier';

export interface EmbeddedOptions {
  bus: EventBus;
  store: ObjectStore;
  /** Scratch folder for the services (cached folders, work in progress). */
  workDir: string;
  /** Which services to run here (default all of the study's). */
  services?: EmbeddedService[];
  onTick?: (run: string, record: HistoryRecord) => void;
}

export const STUDY_SERVICES = ['ingest', 'gan-trainer', 'generator', 'metrics', 'classifier'] as const;
export type EmbeddedService = (typeof STUDY_SERVICES)[number];

export async function startEmbeddedServices(options: EmbeddedOptions): Promise<void> {
  const { bus, store, workDir } = options;
  await mkdir(workDir, { recursive: true });
  const folders = new FolderCache(store, join(workDir, 'folders'));
  const wanted = new Set(options.services ?? STUDY_SERVICES);
  const subscriptions = [
    wanted.has('ingest') && ingestSubscription({ store, workDir }),
    wanted.has('gan-trainer') && trainerSubscription({ store, folders, workDir, ...(options.onTick ? { onTick: options.onTick } : {}) }),
    wanted.has('generator') && generatorSubscription({ store, folders, workDir }),
    wanted.has('metrics') && metricsSubscription({ folders }),
    wanted.has('classifier') && classifierSubscription({ store, folders, workDir }),
  ];
  for (const s of subscriptions) if (s) await bus.subscribe(s as Parameters<EventBus['subscribe']>[0]);
}
