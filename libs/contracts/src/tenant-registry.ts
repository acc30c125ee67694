import { z } from 'zod';

/**
 * How a hospital joins a federation: `dermagan tenant init` writes its registration (tenant.json:
 * its id and Ed25519 public key) for the hospital to send to the federation operator, who adds it
 * with its bucket and registered image count to the registry (`dermagan federation tenants add`);
 * `dermagan federation start` builds the signed `federation.requested` from the registry.
 */

/** A tenant id: what the chart, the bus's `tenant` extension and the registry call the hospital. */
export const TenantId = z.string().regex(/^[a-zA-Z0-9._-]{1,100}$/, 'must be 1–100 of a-z A-Z 0-9 . _ -');

/** tenant.json: what a hospital sends the operator (nothing secret). */
export const TenantRegistration = z.object({
  format: z.literal('dermagan-tenant/v1'),
  tenant: TenantId,
  /** Ed25519 public key, SPKI PEM: the key its updates are verified with. */
  publicKey: z.string().includes('BEGIN PUBLIC KEY', { message: 'must be an SPKI PEM public key' }),
});
export type TenantRegistration = z.output<typeof TenantRegistration>;

/** One registered tenant, as the operator keeps it. */
export const RegisteredTenant = z.object({
  tenant: TenantId,
  publicKey: z.string().includes('BEGIN PUBLIC KEY'),
  /** The hospital's own bucket (its images and updates stay there). */
  bucket: z.string().min(1),
  /** Images the hospital registered: the most its updates may claim (its FedAvg weight is bounded by it). */
  samples: z.number().int().positive(),
  addedAt: z.string().datetime(),
});
export type RegisteredTenant = z.output<typeof RegisteredTenant>;

/** The operator's registry (one object in the operator's bucket). */
export const TenantRegistryFile = z.object({
  format: z.literal('dermagan-tenant-registry/v1'),
  tenants: z.array(RegisteredTenant),
});
export type TenantRegistryFile = z.output<typeof TenantRegistryFile>;
