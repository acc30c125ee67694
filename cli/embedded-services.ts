/**
 * The embedded setting: every service's handlers subscribed on one bus and one store in this
 * process — exactly the subscriptions the services' main.ts make, so an embedded run and a
 * cluster run execute the same code.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventBus } from '@dermagan/bus';
import type { FolderRef } from '@dermagan/contracts';
import { FlAggregator, generateTenantKeyPair, type AggregatorLogger, type RunMetrics, type TenantKeyPair } from '@dermagan/federation';
import { initialGlobalModel } from '@dermagan/gan';
import { FolderCache, Registry } from '@dermagan/runtime';
import type { ObjectStore } from '@dermagan/store';
import type { TfBackend } from '@dermagan/tf';
import { ingestSubscription } from '@dermagan/service-ingest';
import { aggregatorMetrics, aggregatorSubscriptions } from '@dermagan/service-fl-aggregator';
import { embeddedTenants, globalCheckpointSubscription, trainerSubscriptions, type HistoryRecord, type TenantDeps } from '@dermagan/service-gan-trainer';
import { generatorSubscription } from '@dermagan/service-generator';
import { metricsSubscription, pplSubscription } from '@dermagan/service-metrics';
import { projectorSubscriptions } from '@dermagan/service-projector';
import { wProjector } from '@dermagan/projector';
import { classifierSubscription } from '@dermagan/service-classifier';
import { explainerSubscription } from '@dermagan/service-explainer';

export interface EmbeddedOptions {
  bus: EventBus;
  store: ObjectStore;
  /** Scratch folder for the services (cached folders, work in progress). */
  workDir: string;
  /** The tfjs backend the services compute on (the CLI loads it once). */
  backend: TfBackend;
  /** Which services to run here (default all of the study's). */
  services?: EmbeddedService[];
  onTick?: (run: string, record: HistoryRecord) => void;
}

export const STUDY_SERVICES = ['ingest', 'gan-trainer', 'generator', 'metrics', 'classifier', 'explainer', 'projector'] as const;
export type EmbeddedService = (typeof STUDY_SERVICES)[number];

export async function startEmbeddedServices(options: EmbeddedOptions): Promise<void> {
  const { bus, store, workDir, backend } = options;
  await mkdir(workDir, { recursive: true });
  const folders = new FolderCache(store, join(workDir, 'folders'));
  const wanted = new Set(options.services ?? STUDY_SERVICES);
  const subscriptions = [
    wanted.has('ingest') && ingestSubscription({ store, workDir }),
    ...(wanted.has('gan-trainer') ? trainerSubscriptions({ store, folders, workDir, backend, ...(options.onTick ? { onTick: options.onTick } : {}) }) : []),
    wanted.has('gan-trainer') && globalCheckpointSubscription({ store, backend }),
    wanted.has('generator') && generatorSubscription({ store, folders, workDir, backend }),
    wanted.has('metrics') && metricsSubscription({ folders, backend }),
    wanted.has('metrics') && pplSubscription({ store, folders, backend }),
    wanted.has('classifier') && classifierSubscription({ store, folders, workDir, backend }),
    wanted.has('explainer') && explainerSubscription({ store, folders, workDir, backend, projector: wProjector(backend.tf) }),
    ...(wanted.has('projector') ? projectorSubscriptions({ store, folders, workDir, backend }) : []),
  ];
  for (const s of subscriptions) if (s) await bus.subscribe(s as Parameters<EventBus['subscribe']>[0]);
}

/** What the tenants' side of an embedded federation takes. */
export interface EmbeddedTenantsOptions {
  bus: EventBus;
  store: ObjectStore;
  workDir: string;
  /** Tenant ids, or a count (`tenant-0`, `tenant-1`, …). */
  tenants: number | readonly string[];
  /**
   * The operator's key pair: requests are signed with its private key and the aggregator and the
   * tenants verify them with its public key, as in a cluster. Default: a fresh one for this process.
   */
  operator?: TenantKeyPair;
  /** The dataset the tenants train on (default: none until `useDataset`). */
  dataset?: FolderRef;
  /** The tfjs backend the tenants train on (and the aggregator makes the initial model with). */
  backend: TfBackend;
  onRound?: TenantDeps['onRound'];
  /** The tenants' signing keys (default: fresh ones; a continued federation needs the keys it began with). */
  keys?: Record<string, TenantKeyPair>;
}

/**
 * The federated part of the embedded setting: the fl-aggregator (the library's FlAggregator, as its
 * service subscribes it) and the tenants (startEmbeddedTenants) on the same bus — the subscriptions
 * their services make. Global weights become checkpoints through the gan-trainer's
 * `federation.checkpoint.requested` (startEmbeddedServices).
 */
export async function startEmbeddedFederation(
  options: EmbeddedTenantsOptions & {
    /** The aggregator's log (default: errors on stderr). */
    logger?: AggregatorLogger;
    /** The aggregator's series (default: a private registry). */
    metrics?: RunMetrics;
  },
) {
  const { bus, store, backend } = options;
  const operator = options.operator ?? generateTenantKeyPair();
  const aggregator = new FlAggregator({
    store,
    bucket: 'fl-aggregator',
    operatorKey: operator.publicKeyPem,
    logger: options.logger ?? { info: () => {}, warn: () => {}, error: (o, m) => process.stderr.write(`fl-aggregator: ${m} ${JSON.stringify(o)}\n`) },
    metrics: options.metrics ?? aggregatorMetrics(new Registry()),
    initialModel: async (training, policy) => initialGlobalModel(backend.tf, training, policy),
  });
  for (const s of aggregatorSubscriptions(aggregator)) await bus.subscribe(s);
  const tenants = await startEmbeddedTenants({ ...options, operator });
  return {
    ...tenants,
    aggregator,
    close: async () => {
      await aggregator.close();
      await tenants.close();
    },
  };
}

/**
 * Only the hospitals' side of a federation (the aggregator runs elsewhere, e.g. as its service):
 * one tenant agent per hospital (own key pair, own bucket) on the bus, and their public keys.
 */
export async function startEmbeddedTenants(options: EmbeddedTenantsOptions) {
  const { bus, store, workDir } = options;
  const operator = options.operator ?? generateTenantKeyPair();
  const names = typeof options.tenants === 'number' ? Array.from({ length: options.tenants }, (_, i) => `tenant-${i}`) : options.tenants;
  const agents = embeddedTenants(names, {
    store,
    workDir: join(workDir, 'tenants'),
    backend: options.backend,
    operatorKey: operator.publicKeyPem,
    logger: { warn: (o, m) => process.stderr.write(`tenant: ${m} ${JSON.stringify(o)}\n`) },
    ...(options.dataset ? { dataset: options.dataset } : {}),
    ...(options.onRound ? { onRound: options.onRound } : {}),
    ...(options.keys ? { keys: options.keys } : {}),
  });
  for (const a of agents) for (const s of a.subscriptions) await bus.subscribe(s);
  return {
    agents,
    publicKeys: Object.fromEntries(agents.map((a) => [a.tenant, a.keys.publicKeyPem])),
    /** The embedded operator's private key (PKCS#8 PEM): what this process signs its requests with. */
    operatorKey: operator.privateKeyPem,
    /** Point every tenant at the dataset it trains on (its own images by the manifest's `tenant` field). */
    useDataset: (dataset: FolderRef) => {
      for (const a of agents) a.agent.useDataset(dataset);
    },
    close: async () => {
      for (const a of agents) await a.agent.dispose();
    },
  };
}
