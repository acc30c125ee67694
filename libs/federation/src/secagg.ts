/**
 * Secure aggregation by pairwise additive masks, simplified from Bonawitz, Ivanov, Kreuter,
 * Marcedone, McMahan, Patel, Ramage, Segal, Seth, "Practical Secure Aggregation for
 * Privacy-Preserving Machine Learning", CCS 2017 (arXiv:1611.04482): the aggregator learns the
 * sum of the tenants' (weighted) updates and nothing about any one of them.
 *
 * - Each participant has an X25519 key pair (derived from its Ed25519 signing key, secagg-keys.ts,
 *   so peers know each other's public keys from the federation's key registry). Tenants i and j
 *   derive the same 32-byte seed s_ij from their X25519 shared secret with HKDF-SHA256, bound to
 *   the federation, the round, the attempt and the pair.
 * - Values are fixed-point integers modulo 2^32: q = round(weight · x · scale). Integer arithmetic
 *   makes the cancellation exact (float masks would destroy the low bits of the update).
 * - Tenant i (participants sorted by id, i its index) sends q_i + Σ_{j>i} PRG(s_ij) − Σ_{j<i} PRG(s_ji)
 *   (mod 2^32), where PRG is the AES-256-CTR keystream of the seed, consumed tensor by tensor in the
 *   model's order, so masking streams like everything else. Summing every participant's masked
 *   vector cancels every mask: Σ_i masked_i = Σ_i q_i (mod 2^32), decoded as a signed int32.
 * - Weighted averaging: the tenant pre-scales by its weight. Use p_i = n_i / Σ n (the aggregator
 *   announces the participants' sample counts with the round) so the sum is already the FedAvg
 *   mean; mask the delta (w_i − w_global) rather than the weights for the best precision.
 *
 * Precision and range: each |weight·x| must stay below 2^31 / (m · scale) (m participants) or the
 * masking throws; the decoded mean is within m · 0.5/scale of the exact weighted sum (default
 * scale 2^20: 1.4e-6 for m = 3, range ±682 per weighted value).
 *
 * Out of scope: dropout recovery (Bonawitz's Shamir sharing of seeds and double masking). If a
 * participant drops after the others masked, the masks do not cancel: the aggregator must skip
 * the round (assertComplete) and rerun it. Validation of masked updates (norms, NaN) is
 * impossible by design: the aggregator checks signatures, and the decoded mean against the norms
 * the tenants signed (validation.ts checkSecaggMean; a mean over the bound refuses the whole
 * round). DP noise, if wanted, must then be added by tenants (distributed DP).
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';
import { KeystreamRng } from './rng.ts';

/** Raised for a secure-aggregation misuse (range overflow, missing peers). Never retriable. */
export class SecAggError extends Error {
  override readonly name = 'SecAggError';
  readonly retriable = false;
}

/** Default fixed-point scale 2^20. */
export const DEFAULT_SECAGG_SCALE = 2 ** 20;

/** A participant's round key pair: private stays with the tenant, public is relayed to peers. */
export interface SecAggKeyPair {
  privateKey: KeyObject;
  /** SPKI PEM of the X25519 public key. */
  publicKeyPem: string;
}

/** A fresh X25519 key pair (one per tenant per round). */
export function generateSecAggKeyPair(): SecAggKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** What binds a pairwise seed: the federation, the round, its attempt and the (unordered) pair. */
export interface SeedContext {
  federation: string;
  round: number;
  /** A retried round masks afresh: reused masks over two different updates would reveal their difference. */
  attempt: number;
}

/** The 32-byte seed tenants `self` and `peer` share (both derive the same bytes). */
export function pairwiseSeed(selfPrivate: KeyObject | string, peerPublicPem: string, self: string, peer: string, ctx: SeedContext): Buffer {
  if (self === peer) throw new SecAggError(`pairwiseSeed: a tenant has no seed with itself (${self})`);
  const privateKey = typeof selfPrivate === 'string' ? createPrivateKey(selfPrivate) : selfPrivate;
  const secret = diffieHellman({ privateKey, publicKey: createPublicKey(peerPublicPem) });
  const [a, b] = [self, peer].sort();
  const info = `dermagan-secagg/v1\n${ctx.round}\n${ctx.attempt}\n${a}\n${b}`;
  return Buffer.from(hkdfSync('sha256', secret, Buffer.from(ctx.federation, 'utf8'), Buffer.from(info, 'utf8'), 32));
}

/** Options of a tenant's masker. */
export interface MaskerOptions {
  /** This tenant's id. */
  self: string;
  /** Every participant of the round, including self (any order; sorted internally). */
  participants: readonly string[];
  /** Seed shared with each other participant (pairwiseSeed), keyed by peer id. */
  seeds: ReadonlyMap<string, Uint8Array>;
  /** Fixed-point scale; default DEFAULT_SECAGG_SCALE. Every participant must use the same. */
  scale?: number;
}

function checkScale(scale: number): void {
  if (!(Number.isFinite(scale) && scale > 0)) throw new SecAggError(`secagg: scale must be a positive number, got ${scale}`);
}

/**
 * The tenant side: masks tensor after tensor. Call `mask` for every tensor in the model's order;
 * each call consumes the same keystream positions as the peers' calls for that tensor.
 */
export class UpdateMasker {
  private readonly scale: number;
  private readonly limit: number;
  private readonly add: KeystreamRng[] = [];
  private readonly sub: KeystreamRng[] = [];

  constructor(options: MaskerOptions) {
    const { self, seeds } = options;
    this.scale = options.scale ?? DEFAULT_SECAGG_SCALE;
    checkScale(this.scale);
    const sorted = [...new Set(options.participants)].sort();
    const me = sorted.indexOf(self);
    if (me < 0) throw new SecAggError(`UpdateMasker: ${self} is not among the participants [${sorted.join(', ')}]`);
    this.limit = 2 ** 31 / sorted.length;
    sorted.forEach((peer, j) => {
      if (j === me) return;
      const seed = seeds.get(peer);
      if (!seed) throw new SecAggError(`UpdateMasker: no pairwise seed for peer ${peer}; derive it with pairwiseSeed from the peer's public key`);
      (j > me ? this.add : this.sub).push(new KeystreamRng(seed));
    });
  }

  /** Fixed-point encode weight·values and add this tenant's masks (mod 2^32). */
  mask(values: Float32Array, weight: number): Uint32Array {
    const out = new Uint32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const q = Math.round(weight * values[i]! * this.scale);
      if (!(Math.abs(q) < this.limit)) {
        throw new SecAggError(
          `UpdateMasker.mask: weight·value ${weight * values[i]!} at index ${i} is outside ±${this.limit / this.scale}; mask deltas (w − w_global) with normalised weights, or lower the scale`,
        );
      }
      out[i] = q >>> 0;
    }
    for (const prg of this.add) {
      const m = prg.words(values.length);
      for (let i = 0; i < out.length; i++) out[i] = (out[i]! + m[i]!) >>> 0;
    }
    for (const prg of this.sub) {
      const m = prg.words(values.length);
      for (let i = 0; i < out.length; i++) out[i] = (out[i]! - m[i]!) >>> 0;
    }
    return out;
  }
}

/** Σ masked vectors mod 2^32 (the aggregator side, one tensor at a time). */
export function sumMasked(masked: readonly Uint32Array[]): Uint32Array {
  if (masked.length === 0) throw new SecAggError('sumMasked: no masked vectors');
  const n = masked[0]!.length;
  const out = new Uint32Array(n);
  for (const m of masked) {
    if (m.length !== n) throw new SecAggError(`sumMasked: lengths ${m.length} and ${n} differ`);
    for (let i = 0; i < n; i++) out[i] = (out[i]! + m[i]!) >>> 0;
  }
  return out;
}

/** Decode a summed vector: signed int32 / scale (÷ divisor, e.g. Σ weights when they were not normalised). */
export function decodeSum(sum: Uint32Array, scale: number = DEFAULT_SECAGG_SCALE, divisor = 1): Float32Array {
  checkScale(scale);
  const signed = new Int32Array(sum.buffer, sum.byteOffset, sum.length);
  const out = new Float32Array(sum.length);
  const k = 1 / (scale * divisor);
  for (let i = 0; i < sum.length; i++) out[i] = signed[i]! * k;
  return out;
}

/** The aggregator must have every participant's masked update before it sums (no dropout recovery). */
export function assertComplete(participants: readonly string[], received: readonly string[]): void {
  const missing = participants.filter((p) => !received.includes(p));
  if (missing.length > 0) {
    throw new SecAggError(`secagg: masked updates missing from ${missing.join(', ')}; their masks do not cancel, so this round cannot be aggregated — rerun it without them`);
  }
}
