/**
 * The generator's work: `generation.requested` (a checkpoint, images per class, seed, truncation)
 * → a synthetic dataset in the ingest format, in the store → `dataset.generated`. A checkpoint
 * that does not exist is a non-retriable error: the request ends in the dead-letter topic with
 * the reason.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Subscription } from '@dermagan/bus';
import { DatasetGenerated, GenerationRequested, type DermaganEvent } from '@dermagan/contracts';
import { mergeDatasets } from '@dermagan/dataset';
import { FolderCheckpointSink, GenerateError, generateDataset, loadGenerator } from '@dermagan/gan';
import { publishFolder, type FolderCache } from '@dermagan/runtime';
import type { ObjectStore } from '@dermagan/store';
import type { TfBackend } from '@dermagan/tf';
import type { z } from 'zod';

export type GenerationRequestedData = z.output<typeof GenerationRequested.schema>;

export interface GeneratorDeps {
  store: ObjectStore;
  folders: FolderCache;
  workDir: string;
  /** The tfjs backend the wiring loaded (the service's DERMAGAN_TF_BACKEND setting). */
  backend: TfBackend;
  /** Called with the number of images each generated batch added. */
  onImages?: (count: number) => void;
}

export const GENERATOR_SOURCE = '/dermagan/generator';

export async function handleGenerationRequested(event: DermaganEvent<GenerationRequestedData>, deps: GeneratorDeps) {
  const request = event.data;

  // Load G_ema from the checkpoint (a missing one is the requester's mistake, not an outage).
  const checkpoint = request.checkpoint;
  if (!(await deps.store.stat(checkpoint.manifest.bucket, checkpoint.manifest.key))) {
    throw new GenerateError(`checkpoint ${checkpoint.bucket}/${checkpoint.prefix} does not exist (no ${checkpoint.manifest.key}); train first or fix the reference`);
  }
  const { tf, info } = deps.backend;
  const loaded = await loadGenerator(tf, new FolderCheckpointSink(await deps.folders.fetch(checkpoint)));
  const work = join(deps.workDir, `generate-${event.id}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    // Generate each class (its own seeds), then one dataset.
    const conditional = loaded.G.cfg.cDim > 0;
    const parts: string[] = [];
    for (const [label, n] of Object.entries(request.perClass)) {
      const c = Number(label);
      if (!conditional && loaded.trainedClass !== null && c !== loaded.trainedClass) {
        throw new GenerateError(`this generator was trained on class ${loaded.trainedClass} only; it cannot make class ${c}`);
      }
      if (conditional && c >= loaded.G.cfg.cDim) throw new GenerateError(`class ${c} is outside the generator's ${loaded.G.cfg.cDim} classes`);
      const dir = join(work, `class-${c}`);
      let reported = 0;
      await generateDataset(
        tf,
        loaded,
        { n, seed: request.seed + c * 1_000_000, truncation: request.truncation, ...(conditional ? { classes: [c] } : {}) },
        dir,
        info as unknown as Record<string, unknown>,
        (done) => {
          deps.onImages?.(done - reported);
          reported = done;
        },
      );
      parts.push(dir);
    }
    const out = join(work, 'dataset');
    const manifest = await mergeDatasets(parts, out, request.name);

    // Publish the dataset.
    const dataset = await publishFolder(deps.store, out, request.output, 'manifest.json', new Map(manifest.shards.map((s) => [s.file, s.sha256])));
    return DatasetGenerated.create({ name: request.name, dataset, count: manifest.images.length }, { source: GENERATOR_SOURCE, causedBy: event });
  } finally {
    loaded.G.ps.dispose();
    await rm(work, { recursive: true, force: true });
  }
}

export function generatorSubscription(deps: GeneratorDeps): Subscription<GenerationRequestedData> {
  return {
    group: 'generator',
    types: [GenerationRequested.type],
    parse: (raw) => GenerationRequested.parse(raw),
    handler: async (event, context) => context.publish(await handleGenerationRequested(event, deps)),
  };
}
