/**
 * `ppl:<run>`: the perceptual path length of each central GAN (LPIPS-VGG16, W space, end-point
 * sampling, ε 1e-4: NVlabs' ppl2_wend, as `dermagan ppl`), through the metrics service; Table 1's
 * PPL column.
 */
import { FolderRef, PplCompleted, PplRequested } from '@dermagan/contracts';
import { z } from 'zod';
import type { StepFactory, StudyStep } from '../step.ts';

export const PplOutput = z.object({
  model: z.string(),
  /** LPIPS-VGG16 PPL (the paper's unit). */
  ppl: z.number(),
  /** The pixel-space stand-in over the same paths (another scale). */
  pplPixels: z.number(),
  provenance: z.record(z.string(), z.unknown()),
});
export type PplOutput = z.output<typeof PplOutput>;

const HasCheckpoint = z.object({ checkpoint: FolderRef });

export function pplStep(model: string, run: string, samples: number, seed: number): StudyStep<PplOutput> {
  return {
    name: `ppl:${run}`,
    needs: [`train:${run}`],
    version: 1,
    inputs: { model, samples, seed, sampling: 'end' },
    output: PplOutput,
    async run(ctx) {
      const { checkpoint } = ctx.result(`train:${run}`, HasCheckpoint);
      const reply = await ctx.request('ppl', (meta) => PplRequested.create({ name: model, checkpoint, samples, sampling: 'end', seed }, meta), PplCompleted);
      return { model, ppl: reply.data.ppl, pplPixels: reply.data.pplPixels, provenance: reply.data.provenance };
    },
  };
}

export const pplSteps: StepFactory = ({ preset }) => (preset.ppl ? preset.models.map((m) => pplStep(m.model, m.run, preset.ppl!.samples, preset.seed)) : []);
