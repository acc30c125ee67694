/**
 * The metrics service's PPL: `ppl.requested` → the checkpoint's G_ema → `ppl` (LPIPS-VGG16) and
 * the pixel stand-in over the same W-space paths (libs/metrics, as `dermagan ppl`) →
 * `ppl.completed`. A missing checkpoint or images LPIPS cannot take are not retriable.
 */
import type { Subscription } from '@dermagan/bus';
import { PplCompleted, PplRequested, type DermaganEvent } from '@dermagan/contracts';
import { FolderCheckpointSink, generatorPath, loadGenerator } from '@dermagan/gan';
import { lpipsPerceptualPathLength, MetricInputError } from '@dermagan/metrics';
import type { FolderCache } from '@dermagan/runtime';
import type { ObjectStore } from '@dermagan/store';
import type { TfBackend } from '@dermagan/tf';
import type { z } from 'zod';
import { METRICS_SOURCE } from './handlers.ts';

export type PplRequestedData = z.output<typeof PplRequested.schema>;

export interface PplDeps {
  store: ObjectStore;
  folders: FolderCache;
  backend: TfBackend;
}

export async function handlePplRequested(event: DermaganEvent<PplRequestedData>, deps: PplDeps) {
  const { checkpoint, name, samples, sampling, seed } = event.data;
  if (!(await deps.store.stat(checkpoint.manifest.bucket, checkpoint.manifest.key))) {
    throw new MetricInputError(`checkpoint ${checkpoint.bucket}/${checkpoint.prefix} does not exist (no ${checkpoint.manifest.key}); train first or fix the reference`);
  }
  const { tf, info } = deps.backend;
  const loaded = await loadGenerator(tf, new FolderCheckpointSink(await deps.folders.fetch(checkpoint)));
  try {
    const result = await lpipsPerceptualPathLength(tf, generatorPath(tf, loaded), { samples, sampling, seed });
    return PplCompleted.create(
      {
        name,
        ppl: result.ppl,
        pplPixels: result.ppl_pixels,
        provenance: { ...result.provenance, checkpoint: `${checkpoint.bucket}/${checkpoint.prefix}`, generator: loaded.provenance, backend: info } as Record<string, unknown>,
      },
      { source: METRICS_SOURCE, causedBy: event },
    );
  } finally {
    loaded.G.ps.dispose();
  }
}

export function pplSubscription(deps: PplDeps): Subscription<PplRequestedData> {
  return {
    group: 'metrics-ppl',
    types: [PplRequested.type],
    parse: (raw) => PplRequested.parse(raw),
    handler: async (event, context) => context.publish(await handlePplRequested(event, deps)),
  };
}
