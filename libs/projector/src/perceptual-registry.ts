/**
 * The projector's distances by name, for the CLI and the service: `lpips-vgg16` (the reference's,
 * the default; weights provisioned by `npm run setup`) and `pixels-mse` (no weights: a cheap
 * stand-in, labelled as what it is wherever a number made with it appears).
 */
import { PROJECTION_DISTANCES, type ProjectionDistance } from '@dermagan/contracts';
import type { Tf } from '@dermagan/tf';
import { ProjectorError } from './errors.ts';
import { lpipsFeatures } from './lpips-features.ts';
import { pixelFeatures, type PerceptualFeatures } from './perceptual.ts';

export const PERCEPTUAL_IDS = PROJECTION_DISTANCES;
export type PerceptualId = ProjectionDistance;
export const DEFAULT_PERCEPTUAL: PerceptualId = 'lpips-vgg16';

export async function createPerceptual(tf: Tf, id: string): Promise<PerceptualFeatures> {
  if (id === 'lpips-vgg16') return lpipsFeatures(tf);
  if (id === 'pixels-mse') return pixelFeatures(tf);
  throw new ProjectorError(`unknown distance "${id}"; known: ${PERCEPTUAL_IDS.join(', ')}`);
}
