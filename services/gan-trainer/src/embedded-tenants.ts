/**
 * Tenant agents for a one-process federation (`dermagan federate`, the embedded study, tests): each
 * with a fresh Ed25519 key pair (or a given one) and its own bucket, subscribed like the tenant
 * service (tenant-main.ts) subscribes one.
 */
import { join } from 'node:path';
import type { Subscription } from '@dermagan/bus';
import type { FolderRef } from '@dermagan/contracts';
import { generateTenantKeyPair, type TenantKeyPair } from '@dermagan/federation';
import { FolderCache } from '@dermagan/runtime';
import type { ObjectStore } from '@dermagan/store';
import type { TfBackend } from '@dermagan/tf';
import { TenantAgent, tenantSubscriptions, type TenantDeps } from './tenant.ts';

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
    /** The tfjs backend the tenants train on. */
    backend: TfBackend;
    /** The operator's public key (SPKI PEM) the tenants verify `federation.requested` with. */
    operatorKey: string;
    /** Where the tenants report an ignored request. */
    logger?: TenantDeps['logger'];
    /** Each tenant's bucket (default `tenant-<id>`). */
    bucket?: (tenant: string) => string;
    onRound?: TenantDeps['onRound'];
    /** Key pairs to use instead of fresh ones. */
    keys?: Record<string, TenantKeyPair>;
    /** The dataset the tenants train on (each its own images: the manifest's `tenant` field); absent = set later with `useDataset`. */
    dataset?: FolderRef;
  },
): EmbeddedTenant[] {
  return tenants.map((tenant) => {
    const keys = options.keys?.[tenant] ?? generateTenantKeyPair();
    const agent = new TenantAgent({
      tenant,
      signingKey: keys.privateKeyPem,
      operatorKey: options.operatorKey,
      store: options.store,
      bucket: options.bucket?.(tenant) ?? `tenant-${tenant.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`,
      folders: new FolderCache(options.store, join(options.workDir, `tenant-${tenant}`, 'folders')),
      backend: options.backend,
      ...(options.onRound ? { onRound: options.onRound } : {}),
      ...(options.dataset ? { dataset: options.dataset } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
    return { tenant, keys, agent, subscriptions: tenantSubscriptions(agent) };
  });
}
