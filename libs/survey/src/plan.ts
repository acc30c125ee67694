/**
 * Which images a survey shows: N images from a real and a synthetic pool, a chosen share of
 * synthetic ones and a chosen share per class, drawn with a seed (pure; the portal loads the
 * pixels). Counts are split by the largest-remainder method, so they always add up to N.
 */
import { z } from 'zod';
import { seededRandom, shuffled } from '@dermagan/ingest';
import type { Source } from './stats/results.ts';

export const SurveySpec = z.object({
  /** Images in the survey (the study: 200). */
  n: z.number().int().min(2).max(5000),
  /** Share of synthetic images (the study: about half). */
  syntheticShare: z.number().min(0).max(1).default(0.5),
  /** Share of each class by label index (e.g. [0.5, 0.5] benign/melanoma); null = as drawn. */
  classShares: z.array(z.number().min(0).max(1)).min(1).nullable().default(null),
  seed: z.number().int().nonnegative().default(0),
});
export type SurveySpec = z.input<typeof SurveySpec>;

/** An image a pool offers: its id in its dataset and its class. */
export interface PoolImage {
  id: string;
  label: number;
}

export interface PlannedImage extends PoolImage {
  source: Source;
}

export class SurveyPlanError extends Error {
  override readonly name = 'SurveyPlanError';
  readonly retriable = false;
}

/** Split `total` into integer parts proportional to `shares` (largest remainder; ties to the lower index). */
export function apportion(total: number, shares: readonly number[]): number[] {
  const sum = shares.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) throw new SurveyPlanError('apportion: the shares must add up to more than 0');
  const exact = shares.map((s) => (total * s) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    out[i]!++;
  }
  return out;
}

export function planSurvey(pools: Record<Source, readonly PoolImage[]>, spec: SurveySpec, labels: readonly string[]): PlannedImage[] {
  const s = SurveySpec.parse(spec);
  const random = seededRandom(s.seed);
  const [realN, synthN] = apportion(s.n, [1 - s.syntheticShare, s.syntheticShare]) as [number, number];
  const shares = s.classShares ?? null;
  if (shares && shares.length !== labels.length) {
    throw new SurveyPlanError(`classShares has ${shares.length} entries but the datasets have ${labels.length} classes (${labels.join(', ')})`);
  }
  const picked: PlannedImage[] = [];
  for (const [source, count] of [['real', realN], ['synthetic', synthN]] as const) {
    const pool = pools[source];
    if (!shares) {
      if (pool.length < count) throw new SurveyPlanError(`the ${source} dataset has ${pool.length} images; the survey needs ${count}`);
      picked.push(...shuffled(pool, random).slice(0, count).map((p) => ({ ...p, source })));
      continue;
    }
    const perClass = apportion(count, shares);
    perClass.forEach((k, label) => {
      const candidates = pool.filter((p) => p.label === label);
      if (candidates.length < k) {
        throw new SurveyPlanError(`the ${source} dataset has ${candidates.length} ${labels[label]} images; the survey needs ${k} (lower N or change the balance)`);
      }
      picked.push(...shuffled(candidates, random).slice(0, k).map((p) => ({ ...p, source })));
    });
  }
  return picked;
}
