/**
 * The gan-trainer in tenant mode (a hospital's site): `federation.round.started` → K local
 * iterations on this tenant's images → a signed `federation.update.submitted`. On SIGTERM it
 * leaves its federations (`federation.tenant.left`: rounds stop waiting for it); at start it
 * rejoins those whose request it kept in its bucket.
 *
 * Settings beyond BaseConfig (the store credentials are the tenant's own):
 *   DERMAGAN_TENANT                 tenant id, as in the federation request
 *   DERMAGAN_TENANT_SIGNING_KEY     Ed25519 private key, PKCS#8 PEM (or DERMAGAN_TENANT_SIGNING_KEY_FILE)
 *   DERMAGAN_TENANT_DATASET         JSON FolderRef of the tenant's dataset, for federations whose request does not list it
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FolderRef } from '@dermagan/contracts';
import { BaseConfig, ConfigError, FolderCache, loadConfig, startService } from '@dermagan/runtime';
import { loadTf } from '@dermagan/tf';
import { z } from 'zod';
import { TenantAgent, tenantSubscriptions } from './tenant.ts';

const TenantConfig = BaseConfig.extend({
  /** Tenant id (hospital), as listed in the federation request. */
  tenant: z.string().regex(/^[a-zA-Z0-9._-]{1,100}$/, 'must be 1–100 of a-z A-Z 0-9 . _ -'),
  /** Ed25519 private key (PKCS#8 PEM). */
  signingKey: z.string().includes('PRIVATE KEY', { message: 'must be a PKCS#8 PEM private key' }),
  /** The tenant's dataset when a request does not list it (undefined = only listed federations). */
  dataset: FolderRef.optional(),
});

const env = { ...process.env };
if (!env.DERMAGAN_TENANT_SIGNING_KEY && env.DERMAGAN_TENANT_SIGNING_KEY_FILE) {
  try {
    env.DERMAGAN_TENANT_SIGNING_KEY = readFileSync(env.DERMAGAN_TENANT_SIGNING_KEY_FILE, 'utf8');
  } catch (err) {
    throw new ConfigError(`DERMAGAN_TENANT_SIGNING_KEY_FILE=${env.DERMAGAN_TENANT_SIGNING_KEY_FILE}: cannot be read (${(err as Error).message})`);
  }
}
const config = loadConfig(TenantConfig, {
  env,
  defaults: { service: 'gan-trainer-tenant', shutdownGraceS: 120 },
  bindings: {
    DERMAGAN_TENANT: { key: 'tenant' },
    DERMAGAN_TENANT_SIGNING_KEY: { key: 'signingKey' },
    DERMAGAN_TENANT_DATASET: { key: 'dataset', parse: (raw) => JSON.parse(raw) as unknown },
  },
});
const backend = await loadTf(config.tfBackend);
let agent: TenantAgent | null = null;
await startService({
  config,
  subscriptions: ({ store, logger }) => {
    agent = new TenantAgent({
      tenant: config.tenant,
      signingKey: config.signingKey,
      store,
      bucket: config.bucket,
      folders: new FolderCache(store, join(config.workDir, 'folders')),
      backend,
      ...(config.dataset ? { dataset: config.dataset } : {}),
      onRound: (r) => logger.info(r, 'round trained and submitted'),
    });
    return tenantSubscriptions(agent);
  },
  started: async ({ bus, logger }) => {
    const federations = await agent!.rejoin((e) => bus.publish(e));
    if (federations.length > 0) logger.info({ federations }, 'rejoined');
  },
  stopping: async ({ bus, logger }) => {
    const federations = await agent!.leave('shutting down', (e) => bus.publish(e));
    if (federations.length > 0) logger.info({ federations }, 'left');
  },
});
