import { z } from 'zod';
import { FolderRef, OutputLocation } from '../artifact.ts';
import { defineEvent } from '../event.ts';

/** Generation of synthetic datasets from a checkpoint (services/generator). */

export const GenerationRequested = defineEvent(
  'org.dermagan.generation.requested.v1',
  z.object({
    checkpoint: FolderRef,
    /** Images per class label; for an unconditional GAN one entry, the class it was trained on. */
    perClass: z.record(z.string().regex(/^\d+$/), z.number().int().positive()),
    seed: z.number().int().nonnegative().default(0),
    truncation: z.number().min(0).max(2).default(1),
    output: OutputLocation,
    /** Name of the synthetic dataset. */
    name: z.string().min(1),
  }),
);

export const DatasetGenerated = defineEvent(
  'org.dermagan.dataset.generated.v1',
  z.object({ name: z.string(), dataset: FolderRef, count: z.number().int().nonnegative() }),
);
