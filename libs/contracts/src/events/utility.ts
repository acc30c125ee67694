import { z } from 'zod';
import { FolderRef, OutputLocation } from '../artifact.ts';
import { defineEvent } from '../event.ts';

/** Utility: a classifier trained on real / synthetic images (services/classifier). */

export const UtilityRequested = defineEvent(
  'org.dermagan.utility.requested.v1',
  z.object({
    /** Name of the row in the utility table (e.g. `synth-cGAN`). */
    name: z.string().min(1),
    scenario: z.enum(['real', 'synth', 'real+synth']),
    real: FolderRef,
    /** Synthetic datasets (several when unconditional GANs made one class each); empty for `real`. */
    synth: z.array(FolderRef).default([]),
    /** Classifier options (libs/classifier: arch, epochs, size, synthRatio, seed, …). */
    config: z.record(z.string(), z.unknown()).default({}),
    output: OutputLocation,
  }),
);

export const UtilityCompleted = defineEvent(
  'org.dermagan.utility.completed.v1',
  z.object({
    name: z.string(),
    scenario: z.enum(['real', 'synth', 'real+synth']),
    measures: z.record(z.string(), z.unknown()),
    model: FolderRef,
    provenance: z.record(z.string(), z.unknown()),
  }),
);
