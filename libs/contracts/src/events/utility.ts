import { z } from 'zod';
import { FolderRef, OutputLocation } from '../artifact.ts';
import { defineEvent } from '../event.ts';
import { ClassifierOptions, UTILITY_SCENARIOS } from '../options/classifier.ts';

/** Utility: a classifier trained on real / synthetic images (services/classifier). */

export const UtilityRequested = defineEvent(
  'org.dermagan.utility.requested.v1',
  z.object({
    /** Name of the row in the utility table (e.g. `synth-cGAN`). */
    name: z.string().min(1),
    scenario: z.enum(UTILITY_SCENARIOS),
    real: FolderRef,
    /** Synthetic datasets (several when unconditional GANs made one class each); empty for `real`. */
    synth: z.array(FolderRef).default([]),
    /** Classifier options (arch, epochs, size, synthRatio, seed, …); absent fields take libs/classifier's defaults. */
    config: ClassifierOptions.default({}),
    output: OutputLocation,
  }),
);

export const UtilityCompleted = defineEvent(
  'org.dermagan.utility.completed.v1',
  z.object({
    name: z.string(),
    scenario: z.enum(UTILITY_SCENARIOS),
    measures: z.record(z.string(), z.unknown()),
    model: FolderRef,
    provenance: z.record(z.string(), z.unknown()),
  }),
);
