/**
 * The latent explorer's directions for a generator: the explainer's (SeFa, GANSpace, hyperplanes)
 * when it left them in the store for this checkpoint, else random unit directions in W (seeded,
 * so the sliders mean the same thing on every visit) — labelled as such.
 */
import type { FolderRef, LatentDirections } from '@dermagan/contracts';
import type { ObjectStore } from '@dermagan/store';
import { seededRandom } from '@dermagan/survey';
import type { AnalysisFinder } from '../analyses/find.ts';

/** Random directions offered when the explainer has not run (as many sliders as SeFa usually shows). */
export const RANDOM_DIRECTIONS = 8;

export interface GeneratorInfo {
  wDim: number;
  cDim: number;
  resolution: number;
  labels: string[];
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

export function randomDirections(checkpoint: FolderRef, wDim: number, count = RANDOM_DIRECTIONS): LatentDirections {
  const random = seededRandom(0x5eed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const directions = Array.from({ length: count }, (_, index) => {
    const v = Array.from({ length: wDim }, gaussian);
    const norm = Math.hypot(...v);
    return { index, vector: v.map((x) => x / norm) };
  });
  return { format: 'dermagan.latent-directions/v1', method: 'random', checkpoint, wDim, directions, range: 5 };
}

export async function directionsFor(finder: AnalysisFinder, checkpoint: FolderRef, wDim: number): Promise<LatentDirections> {
  const found = await finder.directionsFor(checkpoint);
  return found && found.wDim === wDim ? found : randomDirections(checkpoint, wDim);
}
