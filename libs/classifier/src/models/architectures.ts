import { CLASSIFIER_ARCHITECTURES, type ClassifierArchitecture } from '@dermagan/contracts';
import { loadPretrained, type PretrainedWeights } from '@dermagan/pretrained';
import type { Tf } from '@dermagan/tf';
import { IMAGENET_NORMALIZATION, type Normalization } from '../data/preprocess.ts';
import { B2_HEAD_LAYERS, buildEfficientNetB2 } from './efficientnet-b2.ts';
import { buildEfficientNetLite2, LITE2_DEFAULT_INPUT, LITE2_HEAD_LAYERS, LITE2_NORMALIZATION, LITE2_WEIGHTS_ID, loadLite2ImageNet } from './efficientnet-lite2.ts';
import { loadPretrainedWeights, type PretrainedReport } from './pretrained.ts';
import { buildSmallCnn } from './small-cnn.ts';

type LayersModel = import('@tensorflow/tfjs').LayersModel;

/** The networks (the classifier options' list). */
export const ARCHITECTURES = CLASSIFIER_ARCHITECTURES;
export type Architecture = ClassifierArchitecture;

/** What differs between the networks, one row each. */
export interface ArchitectureSpec {
  /** One line for --help and reports: the network and how it starts. */
  description: string;
  /** Its name in a report (Table 2's caption). */
  title: string;
  /** Input side when none is asked for; undefined = the dataset's. */
  defaultSize: number | undefined;
  /** Input normalisation of [0, 1] pixels. */
  normalization: Normalization;
  /** Its own pretrained backbone (a libs/pretrained catalogue id and how to set the model from it), or null: from scratch unless `weights` is given. */
  pretrained: { id: string; load: (tf: Tf, model: LayersModel, weights: PretrainedWeights) => PretrainedReport } | null;
  /** The head on top of the backbone, as a chain of layers: never loaded from pretrained weights, trained alone during the warm-up. */
  head: readonly string[];
}

export const ARCHITECTURE_SPECS: Readonly<Record<Architecture, ArchitectureSpec>> = Object.freeze({
  small: {
    description: 'a small CNN (laptops, tests), from scratch',
    title: 'small CNN',
    defaultSize: undefined,
    normalization: IMAGENET_NORMALIZATION,
    pretrained: null,
    head: [],
  },
  'efficientnet-b2': {
    description: "EfficientNet-B2 with the study's 1408→500→1 head, trained from scratch (no ImageNet B2 weights are reachable; --weights loads converted ones)",
    title: 'EfficientNet-B2',
    defaultSize: undefined,
    normalization: IMAGENET_NORMALIZATION,
    pretrained: null,
    head: B2_HEAD_LAYERS,
  },
  'efficientnet-lite2': {
    description: 'EfficientNet-Lite2 pretrained on ImageNet (weights from npm run setup), a new 1280→500→1 head, frozen-backbone warm-up then fine-tuning; input 224 by default',
    title: 'EfficientNet-Lite2',
    defaultSize: LITE2_DEFAULT_INPUT,
    normalization: LITE2_NORMALIZATION,
    pretrained: { id: LITE2_WEIGHTS_ID, load: loadLite2ImageNet },
    head: LITE2_HEAD_LAYERS,
  },
});

/** Architecture-specific build options. */
export interface BuildOptions {
  /** EfficientNet stochastic-depth rate (ignored by the small CNN); undefined = its default. */
  dropConnectRate?: number;
}

/** Build an untrained model of the architecture at input side `size` (backbones randomly initialised). */
export function buildModel(tf: Tf, arch: Architecture, size: number, seed: number, options: BuildOptions = {}): LayersModel {
  switch (arch) {
    case 'small':
      return buildSmallCnn(tf, { size, seed });
    case 'efficientnet-b2':
      return buildEfficientNetB2(tf, { size, seed, ...options });
    case 'efficientnet-lite2':
      return buildEfficientNetLite2(tf, { size, seed, ...options });
  }
}

/** Layers a pretrained backbone never provides (the new head). */
export function headLayers(arch: Architecture): readonly string[] {
  return ARCHITECTURE_SPECS[arch].head;
}

/**
 * Set a freshly built model's starting weights: those of `weights` (a tfjs model URI, by layer
 * name, head skipped) when given, else the architecture's own pretrained backbone (a
 * PretrainedError with the fix `npm run setup` when it is not provisioned), else none: null =
 * from scratch.
 */
export async function initialiseModel(tf: Tf, model: LayersModel, arch: Architecture, weights: string | undefined, cache?: string): Promise<PretrainedReport | null> {
  if (weights !== undefined) return loadPretrainedWeights(tf, model, weights, { skipLayers: headLayers(arch) });
  const own = ARCHITECTURE_SPECS[arch].pretrained;
  if (own === null) return null;
  return own.load(tf, model, await loadPretrained(own.id, cache === undefined ? {} : { cache }));
}

/** How a classifier started, in words (result provenance, the report's Table 2). */
export function describeInitialisation(arch: Architecture, pretrained: PretrainedReport | null, warmupEpochs: number): string {
  const name = ARCHITECTURE_SPECS[arch].title;
  if (pretrained === null) return `${name}, trained from scratch (no pretrained weights)`;
  const source = pretrained.source ? `ImageNet-pretrained (${pretrained.source}, weights sha256 ${pretrained.sha256?.slice(0, 12)}…)` : `initialised from ${pretrained.uri}`;
  const warmup = warmupEpochs > 0 ? `, ${warmupEpochs} frozen-backbone warm-up epoch${warmupEpochs === 1 ? '' : 's'}, then fine-tuned` : ', fine-tuned';
  return `${name}, ${source}${warmup}`;
}
