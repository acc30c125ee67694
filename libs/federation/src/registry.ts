/**
 * The operator's tenant registry: which hospitals may take part, with the public key their updates
 * are verified with, their bucket and the image count they registered (their FedAvg weight's
 * bound). One JSON object in the operator's bucket; `federation start` builds the request from it.
 */
import { ContractError, TenantRegistryFile, type RegisteredTenant, type TenantRegistration } from '@dermagan/contracts';
import type { ObjectStore } from '@dermagan/store';
import type { FederationSpec } from './request.ts';

/** Where the registry lives in the operator's bucket. */
export const REGISTRY_KEY = 'federation/tenants.json';

/** A registry operation that cannot be done as asked (the message says what to do). */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly retriable = false;
}

export class TenantRegistry {
  constructor(
    private readonly store: ObjectStore,
    private readonly bucket: string,
  ) {}

  /** Every registered tenant, in the order they were added. */
  async list(): Promise<RegisteredTenant[]> {
    if (!(await this.store.stat(this.bucket, REGISTRY_KEY))) return [];
    const raw = (await this.store.getBytes(this.bucket, REGISTRY_KEY)).toString('utf8');
    const parsed = TenantRegistryFile.safeParse(JSON.parse(raw));
    if (!parsed.success) throw new ContractError(`${this.bucket}/${REGISTRY_KEY} is not a tenant registry: ${parsed.error.message}`);
    return parsed.data.tenants;
  }

  /** Register a hospital (its tenant.json, bucket and image count); a registered id is refused unless `replace`. */
  async add(registration: TenantRegistration, details: { bucket: string; samples: number; replace?: boolean }, now = new Date()): Promise<RegisteredTenant> {
    const tenants = await this.list();
    const existing = tenants.findIndex((t) => t.tenant === registration.tenant);
    if (existing >= 0 && !details.replace) {
      throw new RegistryError(`tenant ${registration.tenant} is already registered; remove it first or add it again with --replace (a new key or image count)`);
    }
    const other = tenants.find((t) => t.tenant !== registration.tenant && (t.publicKey.trim() === registration.publicKey.trim() || t.bucket === details.bucket));
    if (other) throw new RegistryError(`tenant ${other.tenant} already has this ${other.bucket === details.bucket ? `bucket (${details.bucket})` : 'public key'}; every hospital has its own`);
    const entry: RegisteredTenant = { tenant: registration.tenant, publicKey: registration.publicKey, bucket: details.bucket, samples: details.samples, addedAt: now.toISOString() };
    const next = existing >= 0 ? tenants.map((t, i) => (i === existing ? entry : t)) : [...tenants, entry];
    await this.save(next);
    return entry;
  }

  /** Remove a tenant; false when it was not registered. */
  async remove(tenant: string): Promise<boolean> {
    const tenants = await this.list();
    const next = tenants.filter((t) => t.tenant !== tenant);
    if (next.length === tenants.length) return false;
    await this.save(next);
    return true;
  }

  private async save(tenants: RegisteredTenant[]): Promise<void> {
    await this.store.ensureBucket(this.bucket);
    const file: TenantRegistryFile = { format: 'dermagan-tenant-registry/v1', tenants };
    await this.store.put(this.bucket, REGISTRY_KEY, JSON.stringify(file, null, 2), { contentType: 'application/json' });
  }
}

/**
 * The request's tenant list from registry entries: each tenant's key and registered image count
 * (its FedAvg weight, bounded by it). `only` picks some by id; an unknown id is an error.
 */
export function requestTenants(registered: readonly RegisteredTenant[], only?: readonly string[]): FederationSpec['tenants'] {
  if (registered.length === 0) throw new RegistryError('no tenant is registered; add hospitals with `dermagan federation tenants add` first');
  const chosen = only && only.length > 0 ? only : registered.map((t) => t.tenant);
  return chosen.map((id) => {
    const t = registered.find((r) => r.tenant === id);
    if (!t) throw new RegistryError(`tenant ${id} is not registered (registered: ${registered.map((r) => r.tenant).join(', ')})`);
    return { tenant: t.tenant, publicKey: t.publicKey, samples: t.samples };
  });
}
