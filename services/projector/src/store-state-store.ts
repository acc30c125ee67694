/**
 * Per-image projection states in the artifact store, so that a request handed again — to this pod
 * after a restart or to another one — continues every image from its last saved step. Each object
 * is replaced whole by one put (a reader sees the old state or the new one).
 */
import type { OutputLocation } from '@dermagan/contracts';
import { decodeState, encodeState, stateFileName, type ImageState, type StateStore } from '@dermagan/projector';
import type { ObjectStore } from '@dermagan/store';

export class ObjectStoreStateStore implements StateStore {
  private readonly prefix: string;

  constructor(
    private readonly store: ObjectStore,
    private readonly location: OutputLocation,
  ) {
    this.prefix = `${location.prefix.replace(/\/+$/, '')}/`;
  }

  async load(position: number): Promise<ImageState | null> {
    const key = this.prefix + stateFileName(position);
    if (!(await this.store.stat(this.location.bucket, key))) return null;
    return decodeState(await this.store.getBytes(this.location.bucket, key), `${this.location.bucket}/${key}`);
  }

  async save(position: number, state: ImageState): Promise<void> {
    await this.store.put(this.location.bucket, this.prefix + stateFileName(position), encodeState(state));
  }

  /** Remove every state (the work they belong to is published). */
  async clear(): Promise<void> {
    for (const key of await this.store.list(this.location.bucket, this.prefix)) await this.store.delete(this.location.bucket, key);
  }
}
