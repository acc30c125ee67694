/**
 * The latent explorer's sliders for a generator: the explainer's directions (SeFa, GANSpace,
 * hyperplanes: libs/contracts latent-directions.ts, each set with its ws range and step sizes)
 * when it left them for this checkpoint, else random unit directions in W — seeded, so a slider
 * means the same on every visit — and said to be random.
 */
import type { FolderRef, LatentDirections } from '@dermagan/contracts';
import type { ObjectStore } from '@dermagan/store';
import { seededRandom } from '@dermagan/ingest';
import type { AnalysisFinder } from '../analyses/find.ts';

/** Random directions offered when the explainer has not run (as many sliders as SeFa usually shows). */
export const RANDOM_DIRECTIONS = 8;
/** A slider goes from −SLIDER_STEPS to +SLIDER_STEPS steps of its direction's scale. */
export const SLIDER_STEPS = 5;

export interface GeneratorInfo {
  wDim: number;
  cDim: number;
  resolution: number;
  labels: string[];
}

/** One slider: a unit vector in W, the ws it moves, and its step size. */
export interface Slider {
  index: number;
  method: 'sefa' | 'ganspace' | 'hyperplane' | 'random';
  label: string;
  vector: number[];
  scale: number;
  layers?: { start: number; end: number };
}

/** What the checkpoint's metadata says about its generator (without loading the weights). */
export async function generatorInfo(store: ObjectStore, checkpoint: FolderRef): Promise<GeneratorInfo> {
  const meta = JSON.parse((await store.getBytes(checkpoint.manifest.bucket, checkpoint.manifest.key)).toString('utf8')) as {
    options?: { config?: { network?: { wDim?: number; cDim?: number; resolution?: number } } };
    dataset?: { labels?: string[] };
  };
  const network = meta.options?.config?.network ?? {};
  if (!network.wDim || !network.resolution) throw new Error(`${checkpoint.manifest.key} does not describe a generator network (no options.config.network)`);
  return { wDim: network.wDim, cDim: network.cDim ?? 0, resolution: network.resolution, labels: meta.dataset?.labels ?? [] };
}

/** Every direction of every set, in order, as sliders. */
export function slidersOf(directions: LatentDirections): Slider[] {
  return directions.sets.flatMap((set) =>
    set.directions.map((vector, i) => ({ index: 0, method: set.kind, label: set.labels[i]!, vector, scale: set.scales[i]!, layers: set.layers })),
  ).map((s, index) => ({ ...s, index }));
}

export function randomSliders(wDim: number, count = RANDOM_DIRECTIONS): Slider[] {
  const random = seededRandom(0x5eed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: count }, (_, index) => {
    const v = Array.from({ length: wDim }, gaussian);
    const norm = Math.hypot(...v);
    return { index, method: 'random' as const, label: `random ${index + 1}`, vector: v.map((x) => x / norm), scale: 1 };
  });
}

export async function slidersFor(finder: AnalysisFinder, checkpoint: FolderRef, wDim: number): Promise<Slider[]> {
  const found = await finder.directionsFor(checkpoint);
  return found && found.wDim === wDim ? slidersOf(found) : randomSliders(wDim);
}
