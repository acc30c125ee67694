/**
 * The embedded setting: every service's handlers subscribed on one bus and one store in this
 * process — exactly the subscriptions the services' main.ts make, so an embedded run and a
 * cluster run execute the same code.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventBus } from '@dermagan/bus';
import type { ArtifactRef, FederatedGanTrainingOptions, FolderRef, OutputLocation } from '@dermagan/contracts';
import { decodeWeightSet } from '@dermagan/federation';
import { FolderCheckpointSink, META_FILE } from '@dermagan/gan';
import { FolderCache, publishFolder, Registry } from '@dermagan/runtime';
import type { ObjectStore } from '@dermagan/store';
import { ingestSubscription } from '@dermagan/service-ingest';
import { aggregatorMetrics, aggregatorSubscriptions, embeddedTenants, FlAggregator } from '@dermagan/service-fl-aggregator';
import { initialGlobalModel, saveGlobalAsCheckpoint, trainerSubscription, type HistoryRecord } from '@dermagan/service-gan-trainer';
import { generatorSubscription } from '@dermagan/service-generator';
import { metricsSubscription } from '@dermagan/service-metrics';
import { classifierSubscription } from '@dermagan/service-classifier';
import { explainerSubscription } from '@dermagan/service-explainer';

export interface EmbeddedOptions {
  bus: EventBus;
  store: ObjectStore;
  /** Scratch folder for the services (cached folders, work in progress). */
  workDir: string;
  /** Which services to run here (default all of the study's). */
  services?: EmbeddedService[];
  onTick?: (run: string, record: HistoryRecord) => void;
}

export const STUDY_SERVICES = ['ingest', 'gan-trainer', 'generator', 'metrics', 'classifier', 'explainer'] as const;
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
    wanted.has('explainer') && explainerSubscription({ store, folders, workDir }),
  ];
  for (const s of subscriptions) if (s) await bus.subscribe(s as Parameters<EventBus['subscribe']>[0]);
}

/**
 * The federated part of the embedded setting: the fl-aggregator and one tenant agent per hospital
 * (own key pair, own bucket) on the same bus — the subscriptions their services make. Returns what
 * the study needs: the tenants' public keys, and a way to turn the final global weights into a
 * generator checkpoint.
 */
export async function startEmbeddedFederation(options: { bus: EventBus; store: ObjectStore; workDir: string; tenants: number }) {
  const { bus, store } = options;
  const aggregator = new FlAggregator({
    store,
    bucket: 'fl-aggregator',
    logger: { info: () => {}, warn: () => {}, error: (o, m) => process.stderr.write(`fl-aggregator: ${m} ${JSON.stringify(o)}\n`) },
    metrics: aggregatorMetrics(new Registry()),
    initialModel: (training, policy) => initialGlobalModel(training, policy),
  });
  for (const s of aggregatorSubscriptions(aggregator)) await bus.subscribe(s);
  const tenants = await startEmbeddedTenants(options);
  return {
    ...tenants,
    close: async () => {
      await aggregator.close();
      await tenants.close();
    },
  };
}

/**
 * Only the hospitals' side of a federation (the aggregator runs elsewhere, e.g. as its service):
 * `tenants` agents `tenant-0`, … on the bus, their public keys, and the global-weights-to-checkpoint
 * step the study's generator needs.
 */
export async function startEmbeddedTenants(options: { bus: EventBus; store: ObjectStore; workDir: string; tenants: number }) {
  const { bus, store, workDir } = options;
  const names = Array.from({ length: options.tenants }, (_, i) => `tenant-${i}`);
  const agents = embeddedTenants(names, { store, workDir: join(workDir, 'tenants') });
  for (const a of agents) for (const s of a.subscriptions) await bus.subscribe(s);
  return {
    publicKeys: Object.fromEntries(agents.map((a) => [a.tenant, a.keys.publicKeyPem])),
    toCheckpoint: async (global: ArtifactRef, training: FederatedGanTrainingOptions, output: OutputLocation): Promise<FolderRef> => {
      const dir = await mkdtemp(join(workDir, 'global-'));
      try {
        await saveGlobalAsCheckpoint(training, await decodeWeightSet(await store.getBytes(global.bucket, global.key)), new FolderCheckpointSink(join(dir, 'checkpoint')));
        return await publishFolder(store, join(dir, 'checkpoint'), output, META_FILE);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    close: async () => {
      for (const a of agents) await a.agent.dispose();
    },
  };
}
