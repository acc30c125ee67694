import { CLASSIFIER_ARCHITECTURES, type ClassifierArchitecture } from '@dermagan/contracts';
import type { Tf } from '@dermagan/tf';
import { B2_HEAD_LAYERS, buildEfficientNetB2 } from './efficientnet-b2.ts';
import { buildSmallCnn } from './small-cnn.ts';

/** The networks (the classifier options' list). */
export const ARCHITECTURES = CLASSIFIER_ARCHITECTURES;
export type Architecture = ClassifierArchitecture;

/** Architecture-specific build options. */
export interface BuildOptions {
  /** EfficientNet-B2 stochastic-depth rate (ignored by the small CNN); undefined = its default. */
  dropConnectRate?: number;
}

/** Build an untrained model of the architecture at input side `size`. */
export function buildModel(tf: Tf, arch: Architecture, size: number, seed: number, options: BuildOptions = {}) {
  switch (arch) {
    case 'small':
      return buildSmallCnn(tf, { size, seed });
    case 'efficientnet-b2':
      return buildEfficientNetB2(tf, { size, seed, ...options });
  }
}

/** Layers a pretrained backbone never provides (the new head). */
export function headLayers(arch: Architecture): readonly string[] {
  return arch === 'efficientnet-b2' ? B2_HEAD_LAYERS : [];
}
