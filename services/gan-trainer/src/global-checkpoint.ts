/**
 * `federation.checkpoint.requested` → the global weights as a training checkpoint in the store →
 * `federation.checkpoint.saved`. The gan-trainer does it because it has the engine; the weights
 * must hash to the request's sha256, so a corrupt or swapped file is refused, not sampled from.
 */
import type { Subscription } from '@dermagan/bus';
import { FederationCheckpointRequested, FederationCheckpointSaved, type DermaganEvent, type FolderRef } from '@dermagan/contracts';
import { decodeWeightSet } from '@dermagan/federation';
import { saveGlobalModel, StoreCheckpointSink } from '@dermagan/gan';
import { getRefBytes, type ObjectStore } from '@dermagan/store';
import type { TfBackend } from '@dermagan/tf';
import type { z } from 'zod';
import { TRAINER_SOURCE } from './handlers.ts';

export type CheckpointRequestedData = z.output<typeof FederationCheckpointRequested.schema>;

/** What turning global weights into a checkpoint needs. */
export interface CheckpointDeps {
  store: ObjectStore;
  /** The tfjs backend the wiring loaded (the service's DERMAGAN_TF_BACKEND setting). */
  backend: TfBackend;
}

export async function handleCheckpointRequested(event: DermaganEvent<CheckpointRequestedData>, deps: CheckpointDeps) {
  const { global, training, labels, output } = event.data;
  const bytes = await getRefBytes(deps.store, global);
  const weights = await decodeWeightSet(bytes, `global ${global.bucket}/${global.key}`);
  const { tf, info } = deps.backend;
  const sink = new StoreCheckpointSink(deps.store, output);
  await saveGlobalModel(tf, training, weights, sink, { labels, backend: { ...info } });
  const checkpoint = (await sink.latest()) as FolderRef;
  return FederationCheckpointSaved.create({ global, checkpoint }, { source: TRAINER_SOURCE, causedBy: event });
}

export function globalCheckpointSubscription(deps: CheckpointDeps): Subscription<CheckpointRequestedData> {
  return {
    group: 'gan-trainer-checkpoints',
    types: [FederationCheckpointRequested.type],
    parse: (raw) => FederationCheckpointRequested.parse(raw),
    handler: async (event, context) => context.publish(await handleCheckpointRequested(event, deps)),
  };
}
