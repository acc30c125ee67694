/**
 * A hospital site's settings, read by the tenant agent (tenant-main) and by its round Jobs'
 * worker (round-job-main) alike; beyond BaseConfig (the store credentials are the tenant's own):
 *   DERMAGAN_TENANT                     tenant id, as in the federation request
 *   DERMAGAN_TENANT_SIGNING_KEY         Ed25519 private key, PKCS#8 PEM (or DERMAGAN_TENANT_SIGNING_KEY_FILE)
 *   DERMAGAN_OPERATOR_KEY               the federation operator's Ed25519 public key, SPKI PEM (or DERMAGAN_OPERATOR_KEY_FILE):
 *                                       a federation.requested it did not sign is ignored, with the reason logged
 *   DERMAGAN_TENANT_DATASET             JSON FolderRef of the dataset this hospital trains on (its own bucket)
 *   DERMAGAN_TENANT_ROUND_JOB_TEMPLATE  where the hospital runs Kubernetes: each round's local training
 *                                       becomes a Job on its GPU pool (libs/kube's JobTemplate as JSON, or
 *                                       a file holding it; the chart renders it); unset: trained in-process
 */
import { join } from 'node:path';
import { FolderRef, TenantId } from '@dermagan/contracts';
import { BaseConfig, envWithFiles, FolderCache, loadConfig } from '@dermagan/runtime';
import type { ObjectStore } from '@dermagan/store';
import type { TfBackend } from '@dermagan/tf';
import { z } from 'zod';
import type { TenantDeps } from './tenant.ts';

export const ROUND_JOB_TEMPLATE_SETTING = 'DERMAGAN_TENANT_ROUND_JOB_TEMPLATE';

export const TenantConfig = BaseConfig.extend({
  /** Tenant id (hospital), as listed in the federation request. */
  tenant: TenantId,
  /** Ed25519 private key (PKCS#8 PEM). */
  signingKey: z.string().includes('PRIVATE KEY', { message: 'must be a PKCS#8 PEM private key' }),
  /** The federation operator's Ed25519 public key (SPKI PEM): requests it did not sign are ignored. */
  operatorKey: z.string().includes('PUBLIC KEY', { message: 'must be the operator’s SPKI PEM public key' }),
  /** The dataset this hospital trains on, in its own bucket (never the one a request names). */
  dataset: FolderRef.optional(),
  /** The round Jobs' template (JSON or a file path); absent: rounds are trained in the agent's process. */
  roundJobTemplate: z.string().min(1).optional(),
});
export type TenantConfig = z.output<typeof TenantConfig>;

export function loadTenantConfig(service: string): TenantConfig {
  return loadConfig(TenantConfig, {
    env: envWithFiles(['DERMAGAN_TENANT_SIGNING_KEY', 'DERMAGAN_OPERATOR_KEY']),
    defaults: { service, shutdownGraceS: 120 },
    bindings: {
      DERMAGAN_TENANT: { key: 'tenant' },
      DERMAGAN_TENANT_SIGNING_KEY: { key: 'signingKey' },
      DERMAGAN_OPERATOR_KEY: { key: 'operatorKey' },
      DERMAGAN_TENANT_DATASET: { key: 'dataset', parse: (raw) => JSON.parse(raw) as unknown },
      [ROUND_JOB_TEMPLATE_SETTING]: { key: 'roundJobTemplate' },
    },
  });
}

/** What a TenantAgent needs, from the site's settings and the wiring's store, logger and backend. */
export function tenantDepsFrom(
  config: TenantConfig,
  wiring: { store: ObjectStore; logger: NonNullable<TenantDeps['logger']>; backend: TfBackend },
): TenantDeps {
  return {
    tenant: config.tenant,
    signingKey: config.signingKey,
    operatorKey: config.operatorKey,
    logger: wiring.logger,
    store: wiring.store,
    bucket: config.bucket,
    folders: new FolderCache(wiring.store, join(config.workDir, 'folders')),
    backend: wiring.backend,
    ...(config.dataset ? { dataset: config.dataset } : {}),
  };
}
