/**
 * Checks an update must pass before it can be averaged in. Each failed check is a Rejection with a
 * stable reason code (for logs, counters and `round.completed`); a rejected update is never read
 * again. Three stages, cheapest first:
 *   1. envelope (pure, in the round reducer): right round, an expected participant, not a duplicate,
 *      a sample count within what the tenant registered, not another tenant's bytes;
 *   2. signature (signing.ts): the tenant's Ed25519 key over (federation, round, tenant, sha256, samples);
 *   3. content (streamed, `inspectUpdate`): the bytes hash to the signed sha256, names and shapes
 *      equal the global model's, every value finite, ‖update − global‖ within bounds, and not a
 *      robust outlier among this round's norms.
 */
import { REJECTION_REASONS } from '@dermagan/contracts';
import { squaredDistance } from './aggregate.ts';
import { verifyUpdate, type SignedFields } from './signing.ts';
import type { WeightSource } from './weight-file.ts';
import { groupOf, isMomentGroup, schemaDifferences, WeightsError, type GanScalars, type TensorGroup } from './weights.ts';

/** Why an update was not averaged in: the one list, in the event contract. */
export { REJECTION_REASONS };
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** A rejected update: who, which round, why. */
export interface Rejection {
  tenant: string;
  round: number;
  reason: RejectionReason;
  /** Human-readable detail (expected vs got). */
  detail: string;
}

// --- 1. envelope ---------------------------------------------------------------------------------

/** What the envelope check needs to know about the round. */
export interface EnvelopeContext {
  /** The open round. */
  round: number;
  /** Tenants asked to take part in it (minus those dropped). */
  participants: readonly string[];
  /** Tenants dropped from it (deadline or drop-out). */
  dropped: readonly string[];
  /** Tenants that already submitted for it. */
  submitted: readonly string[];
  /** Largest acceptable sample count (undefined = no bound). */
  maxSamples?: number | undefined;
  /** Sample counts the tenants registered (request or join): a tenant may not claim more. */
  registered?: Readonly<Record<string, number | undefined>> | undefined;
  /** sha256 of the updates other tenants submitted this round, by tenant. */
  hashes?: Readonly<Record<string, string>> | undefined;
}

/** Check round, participation, duplicates, the sample count and copies of another tenant's bytes. */
export function checkEnvelope(
  ctx: EnvelopeContext,
  update: { tenant: string; round: number; samples: number; sha256?: string },
): Rejection | null {
  const reject = (reason: RejectionReason, detail: string): Rejection => ({ tenant: update.tenant, round: update.round, reason, detail });
  if (update.round < ctx.round) return reject('stale-round', `update for round ${update.round}; round ${ctx.round} is open`);
  if (update.round > ctx.round) return reject('future-round', `update for round ${update.round}; round ${ctx.round} is open`);
  if (ctx.dropped.includes(update.tenant)) return reject('past-deadline', `tenant ${update.tenant} was dropped from round ${ctx.round}`);
  if (!ctx.participants.includes(update.tenant)) return reject('not-participant', `tenant ${update.tenant} is not a participant of round ${ctx.round}`);
  if (ctx.submitted.includes(update.tenant)) return reject('duplicate', `tenant ${update.tenant} already submitted for round ${ctx.round}`);
  if (!(Number.isInteger(update.samples) && update.samples > 0)) return reject('bad-sample-count', `sample count must be a positive integer, got ${update.samples}`);
  if (ctx.maxSamples !== undefined && update.samples > ctx.maxSamples) {
    return reject('bad-sample-count', `sample count ${update.samples} exceeds the maximum ${ctx.maxSamples}`);
  }
  const registered = ctx.registered?.[update.tenant];
  if (registered !== undefined && update.samples > registered) {
    return reject('bad-sample-count', `sample count ${update.samples} exceeds the ${registered} tenant ${update.tenant} registered`);
  }
  const original = update.sha256 === undefined ? undefined : Object.entries(ctx.hashes ?? {}).find(([t, h]) => t !== update.tenant && h === update.sha256)?.[0];
  if (original !== undefined) {
    return reject('copied-update', `the same bytes (sha256 ${update.sha256!.slice(0, 12)}…) as tenant ${original}'s update`);
  }
  return null;
}

// --- 2. signature --------------------------------------------------------------------------------

/** Check the signature against the tenant's registered public key (PEM). */
export function checkSignature(
  publicKeys: Readonly<Record<string, string>>,
  fields: SignedFields,
  signature: string | undefined | null,
): Rejection | null {
  const reject = (reason: RejectionReason, detail: string): Rejection => ({ tenant: fields.tenant, round: fields.round, reason, detail });
  const key = publicKeys[fields.tenant];
  if (key === undefined) return reject('unknown-tenant', `no public key registered for tenant ${fields.tenant}`);
  if (!signature) return reject('signature-missing', 'the update carries no signature');
  if (!verifyUpdate(key, fields, signature)) return reject('signature-invalid', `signature does not verify with ${fields.tenant}'s key`);
  return null;
}

// --- 3. content ----------------------------------------------------------------------------------

/** What one streamed pass over an update (against the global model) found. */
export interface UpdateInspection {
  /** Set when the update could not be read (truncated, bad magic, hash mismatch). */
  corrupt: string | null;
  /** Schema differences from the global model (empty when they agree). */
  schemaErrors: string[];
  /** Count of NaN/±Infinity values. */
  nonFinite: number;
  /** Name of the first tensor holding a non-finite value. */
  firstNonFinite: string | null;
  /** ‖update − global‖₂ over the averaged groups (G, D, G_ema): the norm DP clips. */
  deltaNorm: number;
  /** ‖update − global‖₂ per group. */
  groupNorms: Partial<Record<TensorGroup, number>>;
  /** The update's scalars (ADA p, pl_mean). */
  scalars: GanScalars;
}

/** Values per slice read by inspectUpdate (1 MiB of float32). */
const INSPECT_SLICE_VALUES = 1 << 18;

/**
 * Read the update and the global model side by side, slice by slice (memory: two slices),
 * and report what `checkInspection` judges. Never throws for a bad update (it reports it); throws
 * only when the global model itself cannot be read. A `masked` update (secure aggregation) holds
 * masked words, not numbers: only its bytes and schema are checked (nonFinite 0, norms NaN).
 */
export async function inspectUpdate(global: WeightSource, update: WeightSource, options: { masked?: boolean } = {}): Promise<UpdateInspection> {
  const result: UpdateInspection = { corrupt: null, schemaErrors: [], nonFinite: 0, firstNonFinite: null, deltaNorm: NaN, groupNorms: {}, scalars: {} };
  const g = await global.open();
  let u;
  try {
    u = await update.open();
  } catch (err) {
    await g.close();
    if (err instanceof WeightsError) return { ...result, corrupt: err.message };
    throw err;
  }
  try {
    result.scalars = { ...u.header.scalars };
    result.schemaErrors = schemaDifferences(g.header.tensors, u.header.tensors);
    if (result.schemaErrors.length > 0) return result;
    const sq: Partial<Record<TensorGroup, number>> = {};
    for (;;) {
      const gt = await g.nextSlice(INSPECT_SLICE_VALUES);
      let ut;
      try {
        ut = await u.nextSlice(INSPECT_SLICE_VALUES);
      } catch (err) {
        if (err instanceof WeightsError) return { ...result, corrupt: err.message };
        throw err;
      }
      if (!gt || !ut) break;
      if (options.masked) continue;
      const data = ut.data;
      let bad = 0;
      for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) bad++;
      if (bad > 0) {
        result.nonFinite += bad;
        result.firstNonFinite ??= ut.name;
        continue;
      }
      const group = groupOf(ut.name);
      sq[group] = (sq[group] ?? 0) + squaredDistance(data, gt.data);
    }
    let total = 0;
    for (const [group, s] of Object.entries(sq) as [TensorGroup, number][]) {
      result.groupNorms[group] = Math.sqrt(s);
      if (!isMomentGroup(group)) total += s;
    }
    result.deltaNorm = result.nonFinite > 0 ? NaN : Math.sqrt(total);
    return result;
  } finally {
    await g.close();
    await u.close();
  }
}

/** Bounds the content check applies. */
export interface ContentLimits {
  /** Reject when ‖update − global‖ (G, D, G_ema) exceeds this; undefined = no absolute bound. */
  maxDeltaNorm?: number | undefined;
}

/** Judge one inspection: the first failed check, or null. */
export function checkInspection(
  tenant: string,
  round: number,
  inspection: UpdateInspection,
  limits: ContentLimits = {},
): Rejection | null {
  const reject = (reason: RejectionReason, detail: string): Rejection => ({ tenant, round, reason, detail });
  if (inspection.corrupt) return reject('corrupt', inspection.corrupt);
  if (inspection.schemaErrors.length > 0) {
    const shown = inspection.schemaErrors.slice(0, 5).join('; ');
    const more = inspection.schemaErrors.length > 5 ? ` (+${inspection.schemaErrors.length - 5} more)` : '';
    return reject('schema-mismatch', shown + more);
  }
  if (inspection.nonFinite > 0) {
    return reject('non-finite', `${inspection.nonFinite} NaN/Inf values, first in ${inspection.firstNonFinite}`);
  }
  if (limits.maxDeltaNorm !== undefined && inspection.deltaNorm > limits.maxDeltaNorm) {
    return reject('norm-too-large', `‖update − global‖ = ${inspection.deltaNorm.toPrecision(4)} > bound ${limits.maxDeltaNorm}`);
  }
  return null;
}

/** The median of a non-empty list. */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length;
  return m % 2 ? s[(m - 1) / 2]! : (s[m / 2 - 1]! + s[m / 2]!) / 2;
}

/**
 * Updates whose norm is more than `factor` times the median norm of the round's updates. The
 * bound needs no calibration and moves with training (updates shrink as it converges); the median
 * of three or more updates lies among honest norms as long as most updates are honest, so one
 * tenant can neither pass a huge update nor, by sending a tiny one, push honest ones out (an
 * honest update is rejected only when honest norms differ by more than `factor`). Norm bounds
 * relative to the round's updates are the standard defence against scaled (model-replacement)
 * updates: Sun et al. 2019, "Can you really backdoor federated learning?" (arXiv:1911.07963);
 * FLAME's clipping to the median norm, Nguyen et al. 2022 (arXiv:2101.02281). With fewer than
 * `minUpdates` (default 3) nothing is flagged: of two updates, neither can be told honest.
 */
export function normsOverMedian(
  round: number,
  norms: readonly { tenant: string; norm: number }[],
  factor: number,
  minUpdates = 3,
): Rejection[] {
  if (!(factor > 0) || norms.length < minUpdates) return [];
  const med = median(norms.map((n) => n.norm));
  return norms
    .filter((n) => n.norm > factor * med)
    .map((n) => ({
      tenant: n.tenant,
      round,
      reason: 'norm-over-median' as const,
      detail: `‖update − global‖ = ${n.norm.toPrecision(4)} > ${factor} × the round’s median ${med.toPrecision(4)}`,
    }));
}

/**
 * Secure aggregation hides every tenant's update, so no per-update norm can be checked. What can
 * be checked is the unmasked mean Σ p_i·Δ_i against what the tenants reported (each signs
 * ‖Δ_i‖ with its update): by the triangle inequality an honest round has
 *   ‖Σ p_i·Δ_i‖ ≤ Σ p_i·‖Δ_i‖ = Σ p_i·r_i,
 * so a larger mean proves that some participant sent more than it reported. Each report is capped
 * at `factor` × the median report first (as normsOverMedian does for clear updates), so one tenant
 * cannot widen the bound by reporting a huge norm; `quantisation` adds the fixed-point rounding the
 * masks allow (≤ n · ½/scale per value). A tenant can then move the model by no more than about
 * the bound, however it scales its masked update; it cannot be named (the masks hide who), so the
 * round's mean is refused as a whole. Bounded per-tenant weights (capWeights) alone would not do:
 * they limit how much a tenant is weighted, not what it multiplies its update by.
 */
export function secaggMeanBound(
  reports: readonly { weight: number; norm: number }[],
  factor: number,
  quantisation = 0,
): number {
  if (reports.length === 0) return 0;
  const cap = factor > 0 && reports.length >= 3 ? factor * median(reports.map((r) => r.norm)) : Infinity;
  return reports.reduce((b, r) => b + r.weight * Math.min(r.norm, cap), 0) + quantisation;
}

/** The fixed-point rounding in ‖Σ p_i·Δ_i‖ of `participants` masked updates of `values` values each at `scale`. */
export function secaggQuantisation(participants: number, values: number, scale: number): number {
  return (participants * 0.5 * Math.sqrt(values)) / scale;
}

/** What a securely aggregated round's bound is made of, per participant. */
export interface SecaggReport {
  tenant: string;
  /** Its FedAvg weight p_i, as announced with the round. */
  weight: number;
  /** The ‖Δ_i‖ it reported and signed with its masked update. */
  norm: number;
}

/** A securely aggregated round's unmasked mean and what bounds it. */
export interface SecaggMeanCheck {
  reports: readonly SecaggReport[];
  /** ‖Σ p_i·Δ_i‖ of the unmasked sum (over the groups the tenants measured: G, D, G_ema). */
  meanNorm: number;
  /** Each report is capped at factor × the median report (the request's maxNormToMedian; 0 = no cap). */
  factor: number;
  /** Values the norms run over and the fixed-point scale: the rounding the masks allow. */
  values: number;
  scale: number;
}

/**
 * Judge the unmasked mean of a securely aggregated round against secaggMeanBound: the bound, and
 * why the mean is over it (null when it fits). The masks hide which participant sent more than it
 * reported, so the caller refuses every update of the round (`secaggRefusals`) and leaves the
 * global model where it was.
 */
export function checkSecaggMean(check: SecaggMeanCheck): { bound: number; refusal: string | null } {
  const { reports, meanNorm } = check;
  const bound = secaggMeanBound(reports, check.factor, secaggQuantisation(reports.length, check.values, check.scale));
  if (meanNorm <= bound) return { bound, refusal: null };
  return {
    bound,
    refusal: `the round's unmasked mean ‖Σ p_i·Δ_i‖ = ${meanNorm.toPrecision(4)} > ${bound.toPrecision(4)}, the most its ${reports.length} participants' signed norms allow; one of them sent a longer update than it reported, and the masks hide which, so no update of this round is averaged in`,
  };
}

/** One 'secagg-mean-over-bound' rejection per participant of a refused round (refused, not accused). */
export function secaggRefusals(round: number, tenants: readonly string[], detail: string): Rejection[] {
  return tenants.map((tenant) => ({ tenant, round, reason: 'secagg-mean-over-bound' as const, detail }));
}

/** Options of the robust outlier test. */
export interface OutlierOptions {
  /** Reject when the modified z-score exceeds this (Iglewicz & Hoaglin recommend 3.5). */
  maxZ?: number;
  /** Run the test only with at least this many updates (default 4: with 3, one outlier moves the median). */
  minUpdates?: number;
}

/**
 * Updates whose norm is a robust outlier on the high side (large norms only): modified z-score
 * z = 0.6745·(x − median) / MAD (Iglewicz & Hoaglin 1993); when MAD is 0 the mean absolute
 * deviation stands in (z = (x − median) / (1.253314·MeanAD)); when both are 0 nothing is flagged.
 */
export function normOutliers(
  round: number,
  norms: readonly { tenant: string; norm: number }[],
  options: OutlierOptions = {},
): Rejection[] {
  const { maxZ = 3.5, minUpdates = 4 } = options;
  if (norms.length < minUpdates) return [];
  const xs = norms.map((n) => n.norm);
  const med = median(xs);
  const mad = median(xs.map((x) => Math.abs(x - med)));
  const meanAd = xs.reduce((a, x) => a + Math.abs(x - med), 0) / xs.length;
  const z = (x: number): number => (mad > 0 ? (0.6745 * (x - med)) / mad : meanAd > 0 ? (x - med) / (1.253314 * meanAd) : 0);
  return norms
    .filter((n) => z(n.norm) > maxZ)
    .map((n) => ({
      tenant: n.tenant,
      round,
      reason: 'norm-outlier' as const,
      detail: `‖update − global‖ = ${n.norm.toPrecision(4)}, robust z = ${z(n.norm).toFixed(2)} > ${maxZ} (round median ${med.toPrecision(4)})`,
    }));
}
