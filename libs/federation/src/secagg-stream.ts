/**
 * Secure aggregation over weight files, slice by slice: a tenant masks its weighted delta
 * p_i·(w_i − w_global) into a weight file whose float32 slots hold the masked uint32 words (bit
 * patterns, never read as numbers); the aggregator sums the masked files modulo 2^32, decodes the
 * sum (Σ p_i·Δ_i, the FedAvg delta when p_i = n_i/Σn) and adds it to the global model. The
 * aggregator reads no tenant's weights. See secagg.ts for the scheme and its limits.
 *
 * The GAN scalars (ADA p, pl_mean: two numbers per tenant, statistics rather than weights) travel
 * in the clear in the masked file's header, so the aggregator can apply the GAN-state policy.
 */
import { AggregationError, squaredNorm } from './aggregate.ts';
import { aggregateScalars, type GanStatePolicy } from './gan-state-policy.ts';
import type { Strategy } from './strategy.ts';
import { decodeSum, DEFAULT_SECAGG_SCALE, sumMasked, type UpdateMasker } from './secagg.ts';
import type { TensorSink, WeightSource, WeightStream, WrittenWeights } from './weight-file.ts';
import { groupOf, isMomentGroup, schemaDifferences, sizeOf, type GanScalars, type WeightHeader } from './weights.ts';

const SLICE = 1 << 18;

/**
 * ‖x‖₂ over the averaged groups (G, D, G_ema; not the optimiser moments), the norm inspectUpdate
 * measures on clear updates: a tenant's ‖Δ_i‖ and the aggregator's ‖Σ p_i·Δ_i‖ count the same values.
 */
class GroupNorm {
  private sq = 0;
  /** Values counted so far. */
  values = 0;

  add(name: string, data: Float32Array): void {
    if (isMomentGroup(groupOf(name))) return;
    this.sq += squaredNorm(data);
    this.values += data.length;
  }

  get norm(): number {
    return Math.sqrt(this.sq);
  }
}

/** A tenant's masked file and the ‖Δ_i‖ = ‖update − global‖ it reports (and signs) with it. */
export interface MaskedUpdate {
  written: WrittenWeights;
  deltaNorm: number;
}

/** The aggregator's unmasked mean and its length, for the bound (validation.ts checkSecaggMean). */
export interface UnmaskedMean {
  written: WrittenWeights;
  /** ‖Σ p_i·Δ_i‖ as decoded, over the averaged groups. */
  meanNorm: number;
  /** Values that norm runs over. */
  values: number;
}

async function slice(stream: WeightStream, name: string, offset: number, n: number, what: string): Promise<Float32Array> {
  const s = await stream.nextSlice(n);
  if (!s || s.name !== name || s.offset !== offset || s.data.length !== n) {
    throw new AggregationError(`secagg: ${what} gave ${s ? `${s.name} values ${s.offset}+${s.data.length}` : 'end of file'} where ${name} values ${offset}+${n} were expected`);
  }
  return s.data;
}

/** Tenant side: write the masked, weighted delta of `update` against `global`, and measure ‖update − global‖. */
export async function maskUpdateFile(args: {
  masker: UpdateMasker;
  /** p_i, the tenant's normalised weight announced with the round. */
  weight: number;
  global: WeightSource;
  update: WeightSource;
  /** The update's GAN scalars, sent in the clear (default none). */
  scalars?: GanScalars;
  createOutput(header: WeightHeader): TensorSink;
}): Promise<MaskedUpdate> {
  const g = await args.global.open();
  const u = await args.update.open();
  try {
    const diff = schemaDifferences(g.header.tensors, u.header.tensors);
    if (diff.length > 0) throw new AggregationError(`maskUpdateFile: the update does not match the global schema (${diff.slice(0, 3).join('; ')})`);
    const out = args.createOutput({ tensors: g.header.tensors, scalars: { ...args.scalars } });
    const norm = new GroupNorm();
    for (const spec of g.header.tensors) {
      const size = sizeOf(spec.shape);
      for (let offset = 0; offset < size || (size === 0 && offset === 0); offset += SLICE) {
        const n = Math.min(SLICE, size - offset);
        const gs = await slice(g, spec.name, offset, n, args.global.describe);
        const us = await slice(u, spec.name, offset, n, args.update.describe);
        const delta = new Float32Array(n);
        for (let i = 0; i < n; i++) delta[i] = us[i]! - gs[i]!;
        norm.add(spec.name, delta);
        const masked = args.masker.mask(delta, args.weight);
        await out.writeSlice({ name: spec.name, shape: [...spec.shape], offset, data: new Float32Array(masked.buffer, masked.byteOffset, masked.length) });
        if (size === 0) break;
      }
    }
    return { written: await out.close(), deltaNorm: norm.norm };
  } finally {
    await g.close();
    await u.close();
  }
}

/** Aggregator side: new global = global + decode(Σ masked), and ‖decode(Σ masked)‖. Every participant's file is required. */
export async function aggregateMaskedFiles(args: {
  global: WeightSource;
  /** One masked file per participant (all of them: masks cancel only in the full sum). */
  masked: readonly WeightSource[];
  /** Fixed-point scale the tenants used; default DEFAULT_SECAGG_SCALE. */
  scale?: number;
  /** With the tenants' weights (same order as `masked`): the new model's scalars from the masked files' clear scalars under this policy. Default: none. */
  scalars?: { policy: GanStatePolicy; weights: readonly number[] };
  createOutput(header: WeightHeader): TensorSink;
}): Promise<UnmaskedMean> {
  if (args.masked.length === 0) throw new AggregationError('aggregateMaskedFiles: no masked updates');
  const opened: WeightStream[] = [];
  try {
    const g = await args.global.open();
    opened.push(g);
    const ms: WeightStream[] = [];
    for (const m of args.masked) {
      const s = await m.open();
      opened.push(s);
      ms.push(s);
      const diff = schemaDifferences(g.header.tensors, s.header.tensors);
      if (diff.length > 0) throw new AggregationError(`aggregateMaskedFiles: ${m.describe} does not match the global schema (${diff.slice(0, 3).join('; ')})`);
    }
    const scalars = args.scalars ? aggregateScalars(args.scalars.policy, ms.map((s) => s.header.scalars), args.scalars.weights, g.header.scalars) : {};
    const out = args.createOutput({ tensors: g.header.tensors, scalars });
    const norm = new GroupNorm();
    for (const spec of g.header.tensors) {
      const size = sizeOf(spec.shape);
      for (let offset = 0; offset < size || (size === 0 && offset === 0); offset += SLICE) {
        const n = Math.min(SLICE, size - offset);
        const gs = await slice(g, spec.name, offset, n, args.global.describe);
        const words: Uint32Array[] = [];
        for (let j = 0; j < ms.length; j++) {
          const f = await slice(ms[j]!, spec.name, offset, n, args.masked[j]!.describe);
          words.push(new Uint32Array(f.buffer, f.byteOffset, f.length));
        }
        const delta = decodeSum(sumMasked(words), args.scale ?? DEFAULT_SECAGG_SCALE);
        norm.add(spec.name, delta);
        for (let i = 0; i < n; i++) delta[i] = gs[i]! + delta[i]!;
        await out.writeSlice({ name: spec.name, shape: [...spec.shape], offset, data: delta });
        if (size === 0) break;
      }
    }
    return { written: await out.close(), meanNorm: norm.norm, values: norm.values };
  } finally {
    for (const s of opened) await s.close().catch(() => undefined);
  }
}

/**
 * Why a federation cannot run under secure aggregation, or null when it can: the rule must need
 * only the weighted mean; central DP clips each update, which the aggregator cannot see; averaged
 * Adam moments (second moments ~1e-8) would vanish in the fixed-point encoding.
 */
export function secureAggregationProblem(strategy: Strategy, policy: GanStatePolicy, dp: unknown): string | null {
  if (!strategy.supportsSecureAggregation) return `strategy '${strategy.name}' needs each tenant's update; under secure aggregation use fedavg, fedavgm, fedprox, fedadam, fedyogi or fedadagrad`;
  if (dp) return 'DP-FedAvg clips each update, which secure aggregation hides from the aggregator; run DP or secure aggregation, not both';
  if (policy.moments === 'average') return "GAN-state policy moments 'average': Adam's second moments do not survive the fixed-point masking; use 'keep-local' or 'reset'";
  return null;
}
