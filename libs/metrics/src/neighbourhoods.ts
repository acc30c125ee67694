/**
 * The nearest-neighbour facts every manifold metric reads, gathered in as few passes over the
 * distances as possible (real×real, fake×fake, fake×real: three blocked passes whatever metrics are
 * asked). Metrics are then cheap steps over these arrays. All distances here are squared.
 */
import type { Compute } from './compute.ts';
import { FLOAT64 } from './compute.ts';
import { crossNeighbours, smallestDistances, type BallTest, type CrossNeighbours } from './distances.ts';
import { checkFeatures, checkSameWidth, type FeatureMatrix } from './features-matrix.ts';

/** What to gather. */
export interface NeighbourhoodRequest {
  /** Neighbourhood sizes k whose radii (k-th other point, self excluded) are needed. */
  ks: number[];
  /** Ball tests to count in the fake×real pass: radii of size k around real / fake points, ≤ or <. */
  balls: Array<{ centres: 'real' | 'fake'; k: number; inclusive: boolean }>;
  /** Where the distances run (default float64). */
  compute?: Compute;
}

export interface Neighbourhoods {
  /** Squared radius of the k-th nearest other real point, per real row, by k. */
  realRadii: Map<number, Float64Array>;
  /** The same within the fake set. */
  fakeRadii: Map<number, Float64Array>;
  /** The fake×real pass: a = fake, b = real; counts in the order of `request.balls` split by centres. */
  cross: CrossNeighbours;
  /** For each request.balls entry, the per-point counts (fake rows for real-centred balls, real rows for fake-centred). */
  ballCounts: Int32Array[];
  real: FeatureMatrix;
  fake: FeatureMatrix;
}

/** Smallest number of samples per set the request needs: k + 1 (the point and its k neighbours). */
export function minimumSamples(request: Pick<NeighbourhoodRequest, 'ks'>): number {
  return Math.max(2, ...request.ks.map((k) => k + 1));
}

export function gatherNeighbourhoods(real: FeatureMatrix, fake: FeatureMatrix, request: NeighbourhoodRequest): Neighbourhoods {
  const need = minimumSamples(request);
  checkFeatures('neighbourhoods: real', real, need);
  checkFeatures('neighbourhoods: fake', fake, need);
  checkSameWidth('neighbourhoods', real, fake);
  const compute = request.compute ?? FLOAT64;
  const kMax = Math.max(...request.ks);
  const radii = (set: FeatureMatrix): Map<number, Float64Array> => {
    const s = smallestDistances(set, set, kMax + 1, compute);
    const out = new Map<number, Float64Array>();
    for (const k of request.ks) {
      const r = new Float64Array(set.rows);
      for (let i = 0; i < set.rows; i++) r[i] = s[i * (kMax + 1) + k]!;
      out.set(k, r);
    }
    return out;
  };
  const realRadii = radii(real);
  const fakeRadii = radii(fake);
  const onReal: BallTest[] = [];
  const onFake: BallTest[] = [];
  const where: Array<['real' | 'fake', number]> = [];
  for (const b of request.balls) {
    const table = b.centres === 'real' ? realRadii : fakeRadii;
    const test = { radii2: table.get(b.k)!, inclusive: b.inclusive };
    if (b.centres === 'real') where.push(['real', onReal.push(test) - 1]);
    else where.push(['fake', onFake.push(test) - 1]);
  }
  // a = fake, b = real: balls on b (real) count fakes; balls on a (fake) count reals.
  const cross = crossNeighbours(fake, real, onReal, onFake, compute);
  const ballCounts = where.map(([c, i]) => (c === 'real' ? cross.aInBBalls[i]! : cross.bInABalls[i]!));
  return { realRadii, fakeRadii, cross, ballCounts, real, fake };
}
