/**
 * Update signatures: each tenant signs (federation, round, attempt, tenant, weights sha256, sample
 * count, reported ‖update − global‖) with its Ed25519 private key; the aggregator holds only the
 * tenants' public keys (registered when the federation is set up), so a leaked aggregator key ring
 * cannot forge an update, and the signature binds the round and its attempt (an old update
 * replayed into a new round, or into a retried attempt of the same round, fails), the bytes (the
 * sha256 the store verifies on read) and the norm the secure-aggregation bound trusts.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/** The fields a signature covers. */
export interface SignedFields {
  /** The federation (run id), so an update cannot be replayed into another federation. */
  federation: string;
  /** Round number the update answers. */
  round: number;
  /** The round's attempt (a retried round's masks and participants differ): an update signed for one attempt is refused in another. */
  attempt: number;
  /** Tenant id. */
  tenant: string;
  /** Lower-case hex SHA-256 of the weight file. */
  weightsSha256: string;
  /** Samples seen (the FedAvg weight the tenant claims). */
  samples: number;
  /**
   * ‖update − global‖ the tenant reports (secure aggregation: the only norm the aggregator gets;
   * it bounds the round's mean by it). Absent or null = none reported, which is signed too, so a
   * relay can neither add nor strip nor change it.
   */
  deltaNorm?: number | null | undefined;
}

/** A tenant's key pair as PEM text (private: PKCS#8, public: SPKI). */
export interface TenantKeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
}

/** The exact bytes signed: one field per line, prefixed with the scheme name and version. */
export function signingPayload(f: SignedFields): Buffer {
  for (const [k, v] of Object.entries({ federation: f.federation, tenant: f.tenant })) {
    if (v.includes('\n')) throw new TypeError(`signingPayload: ${k} must not contain a newline`);
  }
  const norm = f.deltaNorm ?? null;
  if (norm !== null && !(Number.isFinite(norm) && norm >= 0)) throw new TypeError(`signingPayload: deltaNorm must be a finite number ≥ 0, got ${norm}`);
  return Buffer.from(
    ['dermagan-fl-update/v3', f.federation, String(f.round), String(f.attempt), f.tenant, f.weightsSha256, String(f.samples), norm === null ? '' : String(norm)].join('\n'),
    'utf8',
  );
}

/** A fresh Ed25519 key pair for a tenant. */
export function generateTenantKeyPair(): TenantKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Sign an update; returns the base64 signature. */
export function signUpdate(privateKey: string | KeyObject, fields: SignedFields): string {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  return sign(null, signingPayload(fields), key).toString('base64');
}

/** True when `signature` (base64) is the tenant's signature over `fields`. Malformed input is false, never a throw. */
export function verifyUpdate(publicKey: string | KeyObject, fields: SignedFields, signature: string): boolean {
  try {
    const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
    return verify(null, signingPayload(fields), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
