/**
 * The streaming driver of one aggregation: opens the global model and every update, walks the
 * tensors in the global model's order and, for each tensor, reads one tensor from every source,
 * applies the strategy's per-tensor rule (or the GAN-state policy, for G_ema and optimiser
 * moments) and writes the result before reading the next. Memory: (updates + 2) tensors plus the
 * sources' read buffers — never a whole model (with `gEma: 'recompute'`, the new G tensors wait
 * for their G_ema counterparts, at most one G).
 */
import { AggregationError, normalizeWeights, scaleToward, squaredDistance, weightedMean } from './aggregate.ts';
import { addGaussianNoise, clipFactor, noiseStdForMean, type DpOptions } from './dp.ts';
import { aggregateScalars, type GanStatePolicy } from './gan-state-policy.ts';
import type { Rng } from './rng.ts';
import type { AggregateMetrics, UpdateResult } from './strategy.ts';
import type { TensorSink, WeightStream, WeightSource, WrittenWeights } from './weight-file.ts';
import { groupOf, isMomentGroup, schemaDifferences, sizeOf, type NamedTensor, type TensorSpec, type WeightHeader } from './weights.ts';

/** Everything a per-tensor rule sees. */
export interface TensorContext {
  round: number;
  /** Tensor name and shape. */
  name: string;
  shape: number[];
  /** Each participant's tensor (pulled toward the global by its DP clip factor when DP is on). */
  values: Float32Array[];
  /** Normalised sample weights (sum 1), same order as values. */
  weights: number[];
  /** The current global tensor. */
  global: Float32Array;
  /** This tensor's server-state slots (e.g. FedOpt m, v), updated in place by the rule. */
  slots: Record<string, Float32Array>;
  /** DP noise to add to a mean, or null. */
  noise: { std: number; rng: Rng } | null;
}

/** A per-tensor aggregation rule: the new global tensor. */
export type TensorRule = (ctx: TensorContext) => Float32Array;

/** Inputs of the streaming driver. */
export interface AggregateRoundArgs {
  round: number;
  updates: readonly UpdateResult[];
  global: WeightSource;
  policy: GanStatePolicy;
  rule: TensorRule;
  /** Names of the rule's per-tensor server-state slots ([] for stateless rules). */
  slotNames: readonly string[];
  /** A slot's value before the first round. */
  initialSlot: (slot: string, size: number) => Float32Array;
  serverStateIn: WeightSource | null;
  createOutput(header: WeightHeader): TensorSink;
  createServerStateOutput: ((header: WeightHeader) => TensorSink) | null;
  dp: DpOptions | null;
  rng: Rng;
}

/** The server-state tensor name of a slot: `<tensor>@<slot>`. */
export function slotTensorName(tensor: string, slot: string): string {
  return `${tensor}@${slot}`;
}

/** True when the policy routes this tensor through the strategy's rule. */
function usesRule(policy: GanStatePolicy, name: string): boolean {
  const group = groupOf(name);
  if (isMomentGroup(group)) return false;
  return !(group === 'G_ema' && policy.gEma === 'recompute');
}

/** The server-state schema for a model schema: one tensor per slot for every rule-aggregated tensor. */
export function serverStateSchema(model: readonly TensorSpec[], policy: GanStatePolicy, slotNames: readonly string[]): TensorSpec[] {
  const out: TensorSpec[] = [];
  for (const t of model) {
    if (!usesRule(policy, t.name)) continue;
    for (const s of slotNames) out.push({ name: slotTensorName(t.name, s), shape: [...t.shape] });
  }
  return out;
}

async function nextOrFail(stream: WeightStream, spec: TensorSpec, what: string): Promise<NamedTensor> {
  const t = await stream.next();
  if (!t || t.name !== spec.name || t.shape.join(',') !== spec.shape.join(',')) {
    throw new AggregationError(`aggregateRound: ${what} gave ${t ? `${t.name} [${t.shape}]` : 'end of file'} where ${spec.name} [${spec.shape}] was expected`);
  }
  return t;
}

/** Run one streamed aggregation; the caller has validated every update. */
export async function aggregateRound(args: AggregateRoundArgs): Promise<{ global: WrittenWeights; serverState: WrittenWeights | null; metrics: AggregateMetrics }> {
  const { round, updates, policy, rule, slotNames, dp } = args;
  if (updates.length === 0) throw new AggregationError('aggregateRound: no updates');
  const weights = normalizeWeights(updates.map((u) => u.samples));

  // Open every source and check schemas before reading any value.
  const opened: WeightStream[] = [];
  const sinks: TensorSink[] = [];
  try {
    const gs = await args.global.open();
    opened.push(gs);
    const schema = gs.header.tensors;
    const hasMoments = schema.some((t) => isMomentGroup(groupOf(t.name)));
    if (hasMoments && policy.moments !== 'average') {
      throw new AggregationError(`aggregateRound: the global model holds optimiser moments but the policy's moments is '${policy.moments}'; strip G_opt/ and D_opt/ tensors or use 'average'`);
    }
    const us: WeightStream[] = [];
    for (const u of updates) {
      const s = await u.source.open();
      opened.push(s);
      us.push(s);
      const diff = schemaDifferences(schema, s.header.tensors);
      if (diff.length > 0) {
        throw new AggregationError(`aggregateRound: update from ${u.tenant} (${u.source.describe}) does not match the global schema (${diff.slice(0, 3).join('; ')}); validate updates with inspectUpdate before aggregating`);
      }
    }
    const stateSchema = serverStateSchema(schema, policy, slotNames);
    let stateIn: WeightStream | null = null;
    if (slotNames.length > 0 && args.serverStateIn) {
      stateIn = await args.serverStateIn.open();
      opened.push(stateIn);
      const diff = schemaDifferences(stateSchema, stateIn.header.tensors);
      if (diff.length > 0) throw new AggregationError(`aggregateRound: server state ${args.serverStateIn.describe} does not match the model (${diff.slice(0, 3).join('; ')})`);
    }
    if (slotNames.length > 0 && !args.createServerStateOutput) {
      throw new AggregationError('aggregateRound: this strategy keeps server state; pass io.createServerStateOutput');
    }

    // Clip factors and noise (DP-FedAvg).
    let clipFactors: number[] | null = null;
    let noise: { std: number; rng: Rng } | null = null;
    if (dp) {
      clipFactors = updates.map((u) => {
        if (u.deltaNorm === undefined) throw new AggregationError(`aggregateRound: DP needs each update's deltaNorm (from inspectUpdate); missing for ${u.tenant}`);
        return clipFactor(u.deltaNorm, dp.clip);
      });
      noise = { std: noiseStdForMean(dp, weights), rng: args.rng };
    }

    const scalars = aggregateScalars(policy, us.map((s) => s.header.scalars), weights, gs.header.scalars);
    const out = args.createOutput({ tensors: schema.map((t) => ({ name: t.name, shape: [...t.shape] })), scalars });
    sinks.push(out);
    const stateOut = slotNames.length > 0 ? args.createServerStateOutput!({ tensors: stateSchema, scalars: {} }) : null;
    if (stateOut) sinks.push(stateOut);

    // Walk the tensors.
    const pendingG = new Map<string, Float32Array>();
    let deltaSq = 0;
    for (const spec of schema) {
      const gt = await nextOrFail(gs, spec, args.global.describe);
      const uts: NamedTensor[] = [];
      for (let j = 0; j < us.length; j++) uts.push(await nextOrFail(us[j]!, spec, updates[j]!.source.describe));
      const group = groupOf(spec.name);
      const suffix = spec.name.slice(group.length + 1);
      let value: Float32Array;
      if (isMomentGroup(group)) {
        value = weightedMean(uts.map((t) => t.data), weights);
      } else if (group === 'G_ema' && policy.gEma === 'recompute') {
        const g = pendingG.get(suffix);
        if (!g) throw new AggregationError(`aggregateRound: gEma 'recompute' needs G/${suffix} before ${spec.name} in the model's order`);
        pendingG.delete(suffix);
        const beta = policy.gEmaBeta;
        value = new Float32Array(g.length);
        for (let i = 0; i < g.length; i++) value[i] = beta * gt.data[i]! + (1 - beta) * g[i]!;
      } else {
        const slots: Record<string, Float32Array> = {};
        for (const s of slotNames) {
          slots[s] = stateIn
            ? (await nextOrFail(stateIn, { name: slotTensorName(spec.name, s), shape: spec.shape }, args.serverStateIn!.describe)).data
            : args.initialSlot(s, sizeOf(spec.shape));
        }
        const values = uts.map((t, j) => (clipFactors ? scaleToward(gt.data, t.data, clipFactors[j]!) : t.data));
        value = rule({ round, name: spec.name, shape: [...spec.shape], values, weights, global: gt.data, slots, noise });
        for (const s of slotNames) await stateOut!.write({ name: slotTensorName(spec.name, s), shape: [...spec.shape], data: slots[s]! });
        if (group === 'G' && policy.gEma === 'recompute') pendingG.set(suffix, value);
      }
      if (!isMomentGroup(group)) deltaSq += squaredDistance(value, gt.data);
      await out.write({ name: spec.name, shape: [...spec.shape], data: value });
    }
    const global = await out.close();
    const serverState = stateOut ? await stateOut.close() : null;
    return {
      global,
      serverState,
      metrics: { participants: updates.map((u) => u.tenant), weights, globalDeltaNorm: Math.sqrt(deltaSq), clipFactors, noiseStd: noise?.std ?? null },
    };
  } catch (err) {
    for (const s of sinks) await s.abort().catch(() => undefined);
    throw err;
  } finally {
    for (const s of opened) await s.close().catch(() => undefined);
  }
}

/** The mean rule with optional DP noise, shared by the mean-based strategies. */
export function noisyWeightedMean(ctx: TensorContext): Float32Array {
  const mean = weightedMean(ctx.values, ctx.weights);
  return ctx.noise ? addGaussianNoise(mean, ctx.noise.std, ctx.noise.rng) : mean;
}
