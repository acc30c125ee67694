/**
 * Images → their W codes, for a caller that has pixels in memory and wants only w (libs/explain's
 * `Projector`, the latent neighbours of edge cases): the projector's optimisation in W space, its
 * states kept in memory (nothing to resume: the caller's step is redone as a whole).
 */
import type { ProjectionOptions } from '@dermagan/contracts';
import type { LoadedGenerator } from '@dermagan/gan';
import type { Tf } from '@dermagan/tf';
import { ProjectorError } from './errors.ts';
import { projectorOptionsFrom } from './options.ts';
import { createPerceptual } from './perceptual-registry.ts';
import { projectImages } from './project.ts';
import { MemoryStateStore } from './state-store.ts';

/** A function projecting uint8 [n, size, size, 3] images (with their classes) into W, [n, wDim], with the given options. */
export type WProjector = (generator: LoadedGenerator, images: Uint8Array, n: number, size: number, labels: Int32Array, request: ProjectionOptions) => Promise<Float32Array>;

export function wProjector(tf: Tf): WProjector {
  return async (generator, images, n, size, labels, request) => {
    const { options, distance } = projectorOptionsFrom({ ...request, space: 'w' });
    const { G } = generator;
    if (size !== G.cfg.resolution) throw new ProjectorError(`images are ${size}² but the generator makes ${G.cfg.resolution}²: project images at the generator's size`);
    const per = size * size * 3;
    const conditional = G.cfg.cDim > 0;
    const targets = Array.from({ length: n }, (_, i) => ({ id: `image-${i}`, pixels: images.subarray(i * per, (i + 1) * per), label: conditional ? labels[i]! : null }));
    const perceptual = await createPerceptual(tf, distance);
    try {
      const outcome = await projectImages(tf, { G, perceptual, options, targets, states: new MemoryStateStore() });
      const wDim = G.cfg.wDim;
      const w = new Float32Array(n * wDim);
      outcome.results.forEach((r, i) => {
        if (!r) throw new ProjectorError(`projection of image ${i} did not finish`);
        w.set(r.w.subarray(0, wDim), i * wDim);
      });
      return w;
    } finally {
      perceptual.dispose?.();
    }
  };
}
