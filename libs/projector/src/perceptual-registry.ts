/**
 * The projector's distances by name, for the CLI and the service. `lpips-vgg16` (the reference's:
 * LPIPS-VGG16 taps) is the default once its weights are provisioned; `pixels-mse` needs none and is
 * labelled as what it is wherever a number made with it appears.
 */
import type { Tf } from '@dermagan/tf';
import { ProjectorError } from './errors.ts';
import { pixelFeatures, type PerceptualFeatures } from './perceptual.ts';

export const PERCEPTUAL_IDS = ['pixels-mse'] as const;
export type PerceptualId = (typeof PERCEPTUAL_IDS)[number];
export const DEFAULT_PERCEPTUAL: PerceptualId = 'pixels-mse';

export async function createPerceptual(tf: Tf, id: string): Promise<PerceptualFeatures> {
  if (id === 'pixels-mse') return pixelFeatures(tf);
  throw new ProjectorError(`unknown distance "${id}"; known: ${PERCEPTUAL_IDS.join(', ')}`);
}
