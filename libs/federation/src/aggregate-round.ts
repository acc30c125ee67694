/**
 * The streaming driver of one aggregation: opens the global model and every update, walks the
 * tensors in the global model's order in slices of at most `sliceValues` values and, for each
 * slice, reads the same slice from every source, applies the strategy's rule (or the GAN-state
 * policy, for G_ema and optimiser moments) and writes the result before reading on. Every rule is
 * coordinate-wise, so slicing changes no value. Memory: (updates + 2) slices plus the sources'
 * read buffers — independent of the model's and even of the largest tensor's size (with
 * `gEma: 'recompute'`, the new G tensors wait for their G_ema counterparts: at most one G).
 */
import { AggregationError, normalizeWeights, scaleToward, squaredDistance, weightedMean } from './aggregate.ts';
import { addGaussianNoise, clipFactor, noiseStdForMean, type DpOptions } from './dp.ts';
import { aggregateScalars, type GanStatePolicy } from './gan-state-policy.ts';
import type { Rng } from './rng.ts';
import type { AggregateMetrics, UpdateResult } from './strategy.ts';
import type { TensorSink, WeightStream, WeightSource, WrittenWeights } from './weight-file.ts';
import { groupOf, isMomentGroup, schemaDifferences, sizeOf, type TensorSpec, type WeightHeader } from './weights.ts';

/**
 * Everything a rule sees: one slice of one tensor. Rules must be coordinate-wise (value i of the
 * result depends only on value i of the inputs and slots), since they are called slice by slice.
 */
export interface TensorContext {
  round: number;
  /** Tensor name and shape. */
  name: string;
  shape: number[];
  /** Index of the slice's first value within the tensor. */
  offset: number;
  /** Each participant's slice (pulled toward the global by its DP clip factor when DP is on). */
  values: Float32Array[];
  /** Normalised sample weights (sum 1), same order as values. */
  weights: number[];
  /** The current global model's slice. */
  global: Float32Array;
  /** The slice of this tensor's server-state slots (e.g. FedOpt m, v), updated in place by the rule. */
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
  /** Previous server state, one weight file per slot (null before the first round). */
  serverStateIn: Readonly<Record<string, WeightSource>> | null;
  createOutput(header: WeightHeader): TensorSink;
  createServerStateOutput: ((slot: string, header: WeightHeader) => TensorSink) | null;
  dp: DpOptions | null;
  rng: Rng;
  /** Values per slice; default DEFAULT_SLICE_VALUES. */
  sliceValues?: number;
}

/** Default slice: 2^18 values (1 MiB of float32). */
export const DEFAULT_SLICE_VALUES = 1 << 18;

/** True when the policy routes this tensor through the strategy's rule. */
function usesRule(policy: GanStatePolicy, name: string): boolean {
  const group = groupOf(name);
  if (isMomentGroup(group)) return false;
  return !(group === 'G_ema' && policy.gEma === 'recompute');
}

/**
 * The schema of one server-state slot file (e.g. FedOpt's m): the model's tensors that go through
 * the strategy's rule, same names and shapes, so slot files stream in lockstep with the model.
 */
export function serverStateSchema(model: readonly TensorSpec[], policy: GanStatePolicy): TensorSpec[] {
  return model.filter((t) => usesRule(policy, t.name)).map((t) => ({ name: t.name, shape: [...t.shape] }));
}

async function sliceOrFail(stream: WeightStream, spec: TensorSpec, offset: number, values: number, what: string): Promise<Float32Array> {
  const t = await stream.nextSlice(values);
  if (!t || t.name !== spec.name || t.shape.join(',') !== spec.shape.join(',') || t.offset !== offset || t.data.length !== values) {
    throw new AggregationError(
      `aggregateRound: ${what} gave ${t ? `${t.name} [${t.shape}] values ${t.offset}+${t.data.length}` : 'end of file'} where ${spec.name} [${spec.shape}] values ${offset}+${values} were expected`,
    );
  }
  return t.data;
}

/** Run one streamed aggregation; the caller has validated every update. */
export async function aggregateRound(
  args: AggregateRoundArgs,
): Promise<{ global: WrittenWeights; serverState: Record<string, WrittenWeights> | null; metrics: AggregateMetrics }> {
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
    const stateSchema = serverStateSchema(schema, policy);
    const stateIn = new Map<string, WeightStream>();
    if (slotNames.length > 0 && args.serverStateIn) {
      for (const slot of slotNames) {
        const source = args.serverStateIn[slot];
        if (!source) throw new AggregationError(`aggregateRound: server state lacks slot '${slot}' (has ${Object.keys(args.serverStateIn).join(', ') || 'none'})`);
        const st = await source.open();
        opened.push(st);
        stateIn.set(slot, st);
        const diff = schemaDifferences(stateSchema, st.header.tensors);
        if (diff.length > 0) throw new AggregationError(`aggregateRound: server state ${source.describe} does not match the model (${diff.slice(0, 3).join('; ')})`);
      }
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
    const stateOut = new Map<string, TensorSink>();
    for (const slot of slotNames) {
      const sink = args.createServerStateOutput!(slot, { tensors: stateSchema, scalars: {} });
      sinks.push(sink);
      stateOut.set(slot, sink);
    }

    // Walk the tensors, slice by slice.
    const step = Math.max(1, Math.floor(args.sliceValues ?? DEFAULT_SLICE_VALUES));
    const pendingG = new Map<string, Float32Array>();
    let deltaSq = 0;
    for (const spec of schema) {
      const group = groupOf(spec.name);
      const suffix = spec.name.slice(group.length + 1);
      const size = sizeOf(spec.shape);
      const shape = [...spec.shape];
      if (group === 'G' && policy.gEma === 'recompute') pendingG.set(suffix, new Float32Array(size));
      for (let offset = 0; offset < size || (size === 0 && offset === 0); offset += Math.max(step, 1)) {
        const n = Math.min(step, size - offset);
        const g = await sliceOrFail(gs, spec, offset, n, args.global.describe);
        const us_: Float32Array[] = [];
        for (let j = 0; j < us.length; j++) us_.push(await sliceOrFail(us[j]!, spec, offset, n, updates[j]!.source.describe));
        let value: Float32Array;
        if (isMomentGroup(group)) {
          value = weightedMean(us_, weights);
        } else if (group === 'G_ema' && policy.gEma === 'recompute') {
          const newG = pendingG.get(suffix);
          if (!newG) throw new AggregationError(`aggregateRound: gEma 'recompute' needs G/${suffix} before ${spec.name} in the model's order`);
          const beta = policy.gEmaBeta;
          value = new Float32Array(n);
          for (let i = 0; i < n; i++) value[i] = beta * g[i]! + (1 - beta) * newG[offset + i]!;
          if (offset + n >= size) pendingG.delete(suffix);
        } else {
          const slots: Record<string, Float32Array> = {};
          for (const s of slotNames) {
            const st = stateIn.get(s);
            slots[s] = st ? await sliceOrFail(st, spec, offset, n, args.serverStateIn![s]!.describe) : args.initialSlot(s, n);
          }
          const values = us_.map((u, j) => (clipFactors ? scaleToward(g, u, clipFactors[j]!) : u));
          value = rule({ round, name: spec.name, shape, offset, values, weights, global: g, slots, noise });
          if (group === 'G' && policy.gEma === 'recompute') pendingG.get(suffix)!.set(value, offset);
          for (const s of slotNames) await stateOut.get(s)!.writeSlice({ name: spec.name, shape, offset, data: slots[s]! });
        }
        if (!isMomentGroup(group)) deltaSq += squaredDistance(value, g);
        await out.writeSlice({ name: spec.name, shape, offset, data: value });
        if (size === 0) break;
      }
    }
    const global = await out.close();
    let serverState: Record<string, WrittenWeights> | null = null;
    if (slotNames.length > 0) {
      serverState = {};
      for (const [slot, sink] of stateOut) serverState[slot] = await sink.close();
    }
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
