/**
 * A whole federation in one process — the aggregator and every tenant subscribed on one bus — with
 * exactly the handlers the services run (aggregatorSubscriptions, tenantSubscriptions). The CLI's
 * `dermagan federate` and the tests use these pieces; they differ from a cluster only in wiring.
 */
import { join } from 'node:path';
import type { EventBus, Subscription } from '@dermagan/bus';
import {
  FederationCompleted, FederationFailed, FederationRequested, FederationRoundCompleted,
  type DermaganEvent, type FederatedGanTrainingOptions, type FolderRef, type OutputLocation,
} from '@dermagan/contracts';
import { generateTenantKeyPair, type TenantKeyPair } from '@dermagan/federation';
import { FolderCache } from '@dermagan/runtime';
import { TenantAgent, tenantSubscriptions, type TenantDeps } from '@dermagan/service-gan-trainer';
import type { ObjectStore } from '@dermagan/store';
import { z } from 'zod';

export type RoundCompletedData = z.output<typeof FederationRoundCompleted.schema>;
export type FederationCompletedData = z.output<typeof FederationCompleted.schema>;

/** How a watched federation ended. */
export type FederationOutcome =
  | { status: 'completed'; completed: FederationCompletedData; rounds: RoundCompletedData[] }
  | { status: 'failed'; reason: string; rounds: RoundCompletedData[] };

/** What a federation request needs (the rest takes the contract's defaults). */
export interface FederationSpec {
  /** The federation id (the events' runid). */
  federation: string;
  /** Tenants with their dataset, public key and (required under secure aggregation) image count. */
  tenants: Array<{ tenant: string; dataset: FolderRef; publicKey: string; samples?: number }>;
  rounds: number;
  k: number;
  strategy: { name: string; options?: Record<string, unknown> };
  dp?: { clip: number; noiseMultiplier: number; delta?: number } | null;
  /** Secure aggregation (pairwise masks); default off. */
  secagg?: boolean;
  quorum: number;
  roundTimeoutMs: number;
  maxRoundRetries?: number;
  maxUpdateNorm?: number;
  /** The training options every tenant trains with. */
  training: FederatedGanTrainingOptions;
  output: OutputLocation;
}

/** The `federation.requested` event of a spec. */
export function federationRequest(spec: FederationSpec): DermaganEvent<unknown> {
  return FederationRequested.create(
    {
      tenants: spec.tenants,
      rounds: spec.rounds,
      k: spec.k,
      strategy: { name: spec.strategy.name, options: spec.strategy.options ?? {} },
      ganStatePolicy: {},
      dp: spec.dp ? { clip: spec.dp.clip, noiseMultiplier: spec.dp.noiseMultiplier, delta: spec.dp.delta ?? 1e-5 } : null,
      secagg: spec.secagg ?? false,
      quorum: spec.quorum,
      roundTimeoutMs: spec.roundTimeoutMs,
      maxRoundRetries: spec.maxRoundRetries ?? 2,
      ...(spec.maxUpdateNorm !== undefined ? { maxUpdateNorm: spec.maxUpdateNorm } : {}),
      initialGlobal: null,
      training: spec.training,
      output: spec.output,
    },
    { source: '/dermagan/cli', id: `${spec.federation}:requested`, runid: spec.federation },
  );
}

/**
 * Watch one federation on a bus (its own consumer group): `onRound` for each `round.completed`;
 * `done` settles with the outcome at `federation.completed` / `federation.failed`.
 */
export async function watchFederation(
  bus: EventBus,
  federation: string,
  onRound?: (r: RoundCompletedData) => void,
  group = `watch-${federation}`,
): Promise<{ done: Promise<FederationOutcome> }> {
  const rounds: RoundCompletedData[] = [];
  let settle!: (o: FederationOutcome) => void;
  const done = new Promise<FederationOutcome>((resolve) => (settle = resolve));
  const mine = (e: { runid?: string | undefined }) => e.runid === federation;
  const subs: Subscription<unknown>[] = [
    {
      group, types: [FederationRoundCompleted.type], parse: (raw) => FederationRoundCompleted.parse(raw),
      handler: async (e) => {
        if (!mine(e)) return;
        const data = e.data as RoundCompletedData;
        rounds.push(data);
        onRound?.(data);
      },
    },
    {
      group, types: [FederationCompleted.type], parse: (raw) => FederationCompleted.parse(raw),
      handler: async (e) => void (mine(e) && settle({ status: 'completed', completed: e.data as FederationCompletedData, rounds })),
    },
    {
      group, types: [FederationFailed.type], parse: (raw) => FederationFailed.parse(raw),
      handler: async (e) => void (mine(e) && settle({ status: 'failed', reason: (e.data as { reason: string }).reason, rounds })),
    },
  ];
  for (const s of subs) await bus.subscribe(s);
  return { done };
}

/** One tenant agent with its key pair and its own bucket. */
export interface EmbeddedTenant {
  tenant: string;
  keys: TenantKeyPair;
  agent: TenantAgent;
  subscriptions: Subscription<unknown>[];
}

/** Tenant agents for an embedded run: fresh key pairs, bucket `tenant-<id>` each (unless given). */
export function embeddedTenants(
  tenants: readonly string[],
  options: {
    store: ObjectStore;
    workDir: string;
    /** Each tenant's bucket (default `tenant-<id>`). */
    bucket?: (tenant: string) => string;
    onRound?: TenantDeps['onRound'];
    /** Key pairs to use instead of fresh ones. */
    keys?: Record<string, TenantKeyPair>;
    /** The tenants' dataset for federations whose request does not list them (joining mid-run). */
    dataset?: FolderRef;
  },
): EmbeddedTenant[] {
  return tenants.map((tenant) => {
    const keys = options.keys?.[tenant] ?? generateTenantKeyPair();
    const agent = new TenantAgent({
      tenant,
      signingKey: keys.privateKeyPem,
      store: options.store,
      bucket: options.bucket?.(tenant) ?? `tenant-${tenant.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`,
      folders: new FolderCache(options.store, join(options.workDir, `tenant-${tenant}`, 'folders')),
      ...(options.onRound ? { onRound: options.onRound } : {}),
      ...(options.dataset ? { dataset: options.dataset } : {}),
    });
    return { tenant, keys, agent, subscriptions: tenantSubscriptions(agent) };
  });
}
