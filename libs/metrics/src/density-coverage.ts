/**
 * Density and coverage (Naeem et al., "Reliable fidelity and diversity metrics for generative
 * models", ICML 2020, arXiv:2002.09797), as their `prdc` package computes them:
 * - radius of a real point = distance to its k-th nearest other real point, k = 5;
 * - density = (1/k) · mean over fakes of the number of real balls containing the fake (d < r);
 * - coverage = share of reals whose nearest fake lies inside the real's own ball (d < r).
 * Comparisons are strict, as in prdc (precision/recall use ≤, as in NVlabs' code).
 */
import { DEFAULTS } from './defaults.ts';
import type { FeatureMatrix } from './features-matrix.ts';
import type { Compute } from './compute.ts';
import { gatherNeighbourhoods, type NeighbourhoodRequest, type Neighbourhoods } from './neighbourhoods.ts';

/** Options for {@link densityCoverage}. */
export interface DensityCoverageOptions {
  /** Neighbourhood size (default 5). */
  k?: number;
  /** Where the distances run (default float64). */
  compute?: Compute;
}

export interface DensityCoverageResult {
  density: number;
  coverage: number;
  k: number;
}

export function densityCoverageRequest(k: number): Pick<NeighbourhoodRequest, 'ks' | 'balls'> {
  return { ks: [k], balls: [{ centres: 'real', k, inclusive: false }] };
}

export function densityCoverageFromNeighbourhoods(nb: Neighbourhoods, request: NeighbourhoodRequest, k: number): DensityCoverageResult {
  const counts = nb.ballCounts[request.balls.findIndex((b) => b.centres === 'real' && b.k === k && !b.inclusive)]!;
  let total = 0;
  for (const c of counts) total += c;
  const density = total / k / counts.length;
  const radii = nb.realRadii.get(k)!;
  const nearestFake = nb.cross.bNearest.d2; // per real row
  let covered = 0;
  for (let j = 0; j < radii.length; j++) if (nearestFake[j]! < radii[j]!) covered++;
  return { density, coverage: covered / radii.length, k };
}

export function densityCoverage(real: FeatureMatrix, fake: FeatureMatrix, options: DensityCoverageOptions = {}): DensityCoverageResult {
  const k = options.k ?? DEFAULTS.dcK;
  const request: NeighbourhoodRequest = { ...densityCoverageRequest(k), compute: options.compute };
  return densityCoverageFromNeighbourhoods(gatherNeighbourhoods(real, fake, request), request, k);
}
