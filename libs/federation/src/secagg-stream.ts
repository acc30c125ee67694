/**
 * Secure aggregation over weight files, slice by slice: a tenant masks its weighted delta
 * p_i·(w_i − w_global) into a weight file whose float32 slots hold the masked uint32 words (bit
 * patterns, never read as numbers); the aggregator sums the masked files modulo 2^32, decodes the
 * sum (Σ p_i·Δ_i, the FedAvg delta when p_i = n_i/Σn) and adds it to the global model. The
 * aggregator reads no tenant's weights. See secagg.ts for the scheme and its limits.
 */
import { AggregationError } from './aggregate.ts';
import { decodeSum, DEFAULT_SECAGG_SCALE, sumMasked, type UpdateMasker } from './secagg.ts';
import type { TensorSink, WeightSource, WeightStream, WrittenWeights } from './weight-file.ts';
import { schemaDifferences, sizeOf, type GanScalars, type WeightHeader } from './weights.ts';

const SLICE = 1 << 18;

async function slice(stream: WeightStream, name: string, offset: number, n: number, what: string): Promise<Float32Array> {
  const s = await stream.nextSlice(n);
  if (!s || s.name !== name || s.offset !== offset || s.data.length !== n) {
    throw new AggregationError(`secagg: ${what} gave ${s ? `${s.name} values ${s.offset}+${s.data.length}` : 'end of file'} where ${name} values ${offset}+${n} were expected`);
  }
  return s.data;
}

/** Tenant side: write the masked, weighted delta of `update` against `global`. */
export async function maskUpdateFile(args: {
  masker: UpdateMasker;
  /** p_i, the tenant's normalised weight announced with the round. */
  weight: number;
  global: WeightSource;
  update: WeightSource;
  createOutput(header: WeightHeader): TensorSink;
}): Promise<WrittenWeights> {
  const g = await args.global.open();
  const u = await args.update.open();
  try {
    const diff = schemaDifferences(g.header.tensors, u.header.tensors);
    if (diff.length > 0) throw new AggregationError(`maskUpdateFile: the update does not match the global schema (${diff.slice(0, 3).join('; ')})`);
    const out = args.createOutput({ tensors: g.header.tensors, scalars: {} });
    for (const spec of g.header.tensors) {
      const size = sizeOf(spec.shape);
      for (let offset = 0; offset < size || (size === 0 && offset === 0); offset += SLICE) {
        const n = Math.min(SLICE, size - offset);
        const gs = await slice(g, spec.name, offset, n, args.global.describe);
        const us = await slice(u, spec.name, offset, n, args.update.describe);
        const delta = new Float32Array(n);
        for (let i = 0; i < n; i++) delta[i] = us[i]! - gs[i]!;
        const masked = args.masker.mask(delta, args.weight);
        await out.writeSlice({ name: spec.name, shape: [...spec.shape], offset, data: new Float32Array(masked.buffer, masked.byteOffset, masked.length) });
        if (size === 0) break;
      }
    }
    return await out.close();
  } finally {
    await g.close();
    await u.close();
  }
}

/** Aggregator side: new global = global + decode(Σ masked). Every participant's file is required. */
export async function aggregateMaskedFiles(args: {
  global: WeightSource;
  /** One masked file per participant (all of them: masks cancel only in the full sum). */
  masked: readonly WeightSource[];
  /** Fixed-point scale the tenants used; default DEFAULT_SECAGG_SCALE. */
  scale?: number;
  /** Scalars of the new global model; default none. */
  scalars?: GanScalars;
  createOutput(header: WeightHeader): TensorSink;
}): Promise<WrittenWeights> {
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
    const out = args.createOutput({ tensors: g.header.tensors, scalars: args.scalars ?? {} });
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
        for (let i = 0; i < n; i++) delta[i] = gs[i]! + delta[i]!;
        await out.writeSlice({ name: spec.name, shape: [...spec.shape], offset, data: delta });
        if (size === 0) break;
      }
    }
    return await out.close();
  } finally {
    for (const s of opened) await s.close().catch(() => undefined);
  }
}
