/**
 * Secure-aggregation keys from the tenants' signing keys: no second key to distribute.
 *
 * Each tenant already has an Ed25519 key pair whose public half is registered with the federation
 * (signing.ts). Its X25519 key pair for the pairwise mask seeds is derived from it, as libsodium's
 * crypto_sign_ed25519_sk_to_curve25519 / _pk_to_curve25519 do (and age's ssh-ed25519 recipients):
 * - private: the first 32 bytes of SHA-512(Ed25519 seed), i.e. Ed25519's own secret scalar
 *   (X25519 applies the same clamping);
 * - public: the birational map from the twisted Edwards curve to Montgomery form,
 *   u = (1 + y) / (1 − y) mod 2^255 − 19, y being the Ed25519 public key without its sign bit.
 * So every peer computes a tenant's X25519 public key from the Ed25519 key it already trusts, and
 * an aggregator relaying keys cannot substitute its own (RFC 7748 §4.1 gives the map).
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { SecAggError } from './secagg.ts';

const P = 2n ** 255n - 19n;

function modPow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = ((base % P) + P) % P;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}

function littleEndianToBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

function bigIntToLittleEndian(n: bigint, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

function okpBytes(key: KeyObject, field: 'x' | 'd', want: string): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== want || typeof jwk[field] !== 'string') {
    throw new SecAggError(`secagg: expected an ${want} key, got ${jwk.kty}/${String(jwk.crv)}`);
  }
  return Buffer.from(jwk[field], 'base64url');
}

/** The tenant's X25519 private key for secure aggregation, from its Ed25519 signing key (PKCS#8 PEM or KeyObject). */
export function secaggPrivateKey(signingKey: string | KeyObject): KeyObject {
  const ed = typeof signingKey === 'string' ? createPrivateKey(signingKey) : signingKey;
  const seed = okpBytes(ed, 'd', 'Ed25519');
  const publicBytes = okpBytes(createPublicKey(ed), 'x', 'Ed25519');
  const scalar = createHash('sha512').update(seed).digest().subarray(0, 32);
  const x = bigIntToLittleEndian(edwardsToMontgomery(publicBytes), 32);
  return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: scalar.toString('base64url'), x: x.toString('base64url') }, format: 'jwk' });
}

/** The X25519 public key (SPKI PEM) of the tenant whose Ed25519 public key (SPKI PEM) is given. */
export function secaggPublicKey(verifyKey: string | KeyObject): string {
  const ed = typeof verifyKey === 'string' ? createPublicKey(verifyKey) : verifyKey;
  const u = edwardsToMontgomery(okpBytes(ed, 'x', 'Ed25519'));
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: bigIntToLittleEndian(u, 32).toString('base64url') }, format: 'jwk' });
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

/** u = (1 + y)/(1 − y) mod p for a compressed Ed25519 point (32 bytes, little-endian y, sign in bit 255). */
function edwardsToMontgomery(compressed: Uint8Array): bigint {
  const bytes = Uint8Array.from(compressed);
  bytes[31]! &= 0x7f;
  const y = littleEndianToBigInt(bytes);
  if (y >= P) throw new SecAggError('secagg: not a canonical Ed25519 public key (y ≥ p)');
  const denominator = (1n - y + P) % P;
  if (denominator === 0n) throw new SecAggError('secagg: the Ed25519 public key is the identity point; it has no X25519 counterpart');
  return ((1n + y) * modPow(denominator, P - 2n)) % P;
}
