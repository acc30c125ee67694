/**
 * Krum / Multi-Krum: score each update by the sum of squared distances to its m − f − 2 nearest
 * other updates (f = the number of Byzantine tenants tolerated), keep the `keep` best-scored
 * updates and average them by samples seen (keep = 1 is Krum). Blanchard, El Mhamdi, Guerraoui,
 * Stainer, "Machine Learning with Adversaries: Byzantine Tolerant Gradient Descent", NeurIPS 2017,
 * arXiv:1703.02507.
 *
 * Distances need whole updates, so Krum is the one rule that is not coordinate-wise: it first
 * streams every update once (slice by slice, accumulating the pairwise distances), then hands
 * the selected updates to FedAvg's streamed mean.
 */
import { AggregationError, squaredDistance } from './aggregate.ts';
import type { StrategyOptions } from './base-strategy.ts';
import { FedAvg } from './fedavg.ts';
import type { AggregateIO, AggregateOutcome, UpdateFailure, UpdateResult } from './strategy.ts';
import type { WeightStream } from './weight-file.ts';
import { schemaDifferences } from './weights.ts';

export interface KrumOptions extends StrategyOptions {
  /** f: Byzantine tenants tolerated (m >= f + 3 updates needed); default 0. */
  byzantine?: number;
  /** Updates kept and averaged (1 = Krum, > 1 = Multi-Krum); default 1. */
  keep?: number;
}

/** Pairwise squared L2 distances between whole updates, streamed slice by slice. */
export async function pairwiseSquaredDistances(results: readonly UpdateResult[], sliceValues = 1 << 18): Promise<number[][]> {
  const m = results.length;
  const d = Array.from({ length: m }, () => new Array<number>(m).fill(0));
  const streams: WeightStream[] = [];
  try {
    for (const r of results) streams.push(await r.source.open());
    for (let j = 1; j < m; j++) {
      const diff = schemaDifferences(streams[0]!.header.tensors, streams[j]!.header.tensors);
      if (diff.length > 0) throw new AggregationError(`krum: update from ${results[j]!.tenant} does not match ${results[0]!.tenant}'s schema (${diff.slice(0, 3).join('; ')})`);
    }
    for (;;) {
      const slices = [];
      for (const s of streams) slices.push(await s.nextSlice(sliceValues));
      if (slices.some((s) => s === null)) break;
      for (let a = 0; a < m; a++) {
        for (let b = a + 1; b < m; b++) {
          const x = squaredDistance(slices[a]!.data, slices[b]!.data);
          d[a]![b]! += x;
          d[b]![a]! += x;
        }
      }
    }
    return d;
  } finally {
    for (const s of streams) await s.close().catch(() => undefined);
  }
}

/** Krum scores: for each update, the sum of its m − f − 2 smallest distances to the others. */
export function krumScores(distances: readonly (readonly number[])[], byzantine: number): number[] {
  const m = distances.length;
  const neighbours = m - byzantine - 2;
  if (neighbours < 1) throw new AggregationError(`krum: needs at least f + 3 = ${byzantine + 3} updates, got ${m}`);
  return distances.map((row, i) => row.filter((_, j) => j !== i).sort((a, b) => a - b).slice(0, neighbours).reduce((s, x) => s + x, 0));
}

export class Krum extends FedAvg {
  override readonly name: string = 'krum';
  protected override readonly supportsDp: boolean = false;
  override readonly supportsSecureAggregation: boolean = false;
  readonly byzantine: number;
  readonly keep: number;

  constructor(options: KrumOptions = {}) {
    super({ ...options, dp: null });
    if (options.dp) throw new AggregationError('krum: DP noise is calibrated for a mean of every update; use fedavg, fedprox or fedopt with DP');
    const { byzantine = 0, keep = 1 } = options;
    if (!(Number.isInteger(byzantine) && byzantine >= 0)) throw new AggregationError(`krum: byzantine must be an integer >= 0, got ${byzantine}`);
    if (!(Number.isInteger(keep) && keep >= 1)) throw new AggregationError(`krum: keep must be an integer >= 1, got ${keep}`);
    this.byzantine = byzantine;
    this.keep = keep;
  }

  override async aggregate(round: number, results: readonly UpdateResult[], failures: readonly UpdateFailure[], io: AggregateIO): Promise<AggregateOutcome> {
    if (results.length === 0) return super.aggregate(round, results, failures, io);
    if (results.length < this.byzantine + 3) {
      return { status: 'skipped', reasons: [`krum: needs at least f + 3 = ${this.byzantine + 3} updates, got ${results.length}`] };
    }
    const scores = krumScores(await pairwiseSquaredDistances(results), this.byzantine);
    const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const chosen = order.slice(0, Math.min(this.keep, results.length)).map(([, i]) => i).sort((a, b) => a - b);
    return super.aggregate(round, chosen.map((i) => results[i]!), failures, io);
  }
}
