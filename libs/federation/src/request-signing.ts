/**
 * Operator signatures on `federation.requested`: the request registers the tenants' public keys
 * and sample counts and sets every rule of the federation, so only the federation operator may
 * make one. The operator signs the request (its data, as the contract reads it, and the federation
 * id) with its Ed25519 key; the aggregator and every tenant hold the operator's public key in
 * their configuration and ignore a request that does not verify against it, with the reason.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { FederationRequested, type DermaganEvent } from '@dermagan/contracts';
import type { z } from 'zod';

type RequestData = z.output<typeof FederationRequested.schema>;

const SCHEME = 'dermagan-fl-request/v1';

/** JSON with object keys sorted at every level: the same data always gives the same bytes. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The exact bytes an operator signs: the scheme, the federation id, and the request's data as the
 * contract reads it (defaults filled in, unknown fields dropped), without its signature.
 */
export function requestSigningPayload(federation: string, data: RequestData): Buffer {
  if (federation.includes('\n')) throw new TypeError('requestSigningPayload: the federation id must not contain a newline');
  const { signature: _signature, ...signed } = data;
  return Buffer.from(`${SCHEME}\n${federation}\n${canonicalJson(FederationRequested.schema.parse(signed))}`, 'utf8');
}

/** The operator's base64 signature over a request's data for `federation`. */
export function signFederationRequest(operatorPrivateKey: string | KeyObject, federation: string, data: RequestData): string {
  const key = typeof operatorPrivateKey === 'string' ? createPrivateKey(operatorPrivateKey) : operatorPrivateKey;
  return sign(null, requestSigningPayload(federation, data), key).toString('base64');
}

/**
 * Why a `federation.requested` must be ignored (unsigned, not signed by this operator, no
 * federation id), or null when it is the operator's. Never throws on malformed input.
 */
export function federationRequestRefusal(operatorPublicKey: string | KeyObject, event: Pick<DermaganEvent<RequestData>, 'data' | 'runid' | 'id'>): string | null {
  const federation = event.runid;
  if (!federation) return `request ${event.id} carries no runid (the federation id)`;
  const signature = event.data.signature;
  if (!signature) return `federation ${federation}: the request is not signed by the operator (an unsigned federation.requested is ignored)`;
  try {
    const key = typeof operatorPublicKey === 'string' ? createPublicKey(operatorPublicKey) : operatorPublicKey;
    if (verify(null, requestSigningPayload(federation, event.data), key, Buffer.from(signature, 'base64'))) return null;
  } catch {
    // A malformed key or signature is a refusal like a wrong one.
  }
  return `federation ${federation}: the request's signature does not verify with the operator key this service is configured with`;
}
