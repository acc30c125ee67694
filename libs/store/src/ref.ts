import type { ArtifactRef } from '@dermagan/contracts';
import { IntegrityError } from './errors.ts';
import { sha256Hex } from './hashing.ts';
import type { ObjectStore } from './store.ts';

/**
 * The bytes an ArtifactRef names, or IntegrityError. A store verifies what it reads against what
 * it recorded when the object was written; an event's reference says which bytes the sender meant.
 * The two differ when the object was replaced after the event went out (by a later write, or by
 * someone with write access to the bucket), so whatever is loaded from an event's reference (a
 * global model, a checkpoint) is read through this check.
 */
export async function getRefBytes(store: ObjectStore, ref: ArtifactRef): Promise<Buffer> {
  const bytes = await store.getBytes(ref.bucket, ref.key);
  const actual = sha256Hex(bytes);
  if (actual !== ref.sha256) {
    throw new IntegrityError(ref.bucket, ref.key, ref.sha256, actual, 'the object is not the one its reference names (it was replaced after the reference was made); refusing to load it');
  }
  return bytes;
}
