/**
 * Training checkpoints in the artifact store, replaced atomically: each save goes to a fresh
 * folder `<prefix>checkpoints/<n>/` (checkpoint.json last), then the pointer `<prefix>latest.json`
 * is switched to it, then the previous folder is removed. A trainer killed at any moment leaves a
 * pointer to a complete checkpoint (or none), never a mix of two.
 */
import { FolderRef, type OutputLocation } from '@dermagan/contracts';
import type { ObjectStore } from '@dermagan/store';
import { CheckpointError, META_FILE, type CheckpointFiles, type CheckpointSink } from './checkpoint.ts';

export class StoreCheckpointSink implements CheckpointSink {
  readonly location: string;
  private readonly prefix: string;

  constructor(
    private readonly store: ObjectStore,
    private readonly output: OutputLocation,
    /** Called after each save with the new checkpoint's reference. */
    private readonly onSaved: (ref: FolderRef) => Promise<void> | void = () => {},
  ) {
    this.prefix = `${output.prefix.replace(/\/+$/, '')}/`;
    this.location = `${store.url}/${output.bucket}/${this.prefix}latest.json`;
  }

  /** The current checkpoint's reference, or null when none was saved yet. */
  async latest(): Promise<FolderRef | null> {
    if (!(await this.store.stat(this.output.bucket, `${this.prefix}latest.json`))) return null;
    const bytes = await this.store.getBytes(this.output.bucket, `${this.prefix}latest.json`);
    return FolderRef.parse(JSON.parse(bytes.toString('utf8')));
  }

  async save(files: CheckpointFiles): Promise<void> {
    const meta = files.get(META_FILE);
    if (!meta) throw new CheckpointError(`StoreCheckpointSink: a checkpoint needs ${META_FILE}`);
    const previous = await this.latest();
    const folder = `${this.prefix}checkpoints/${Date.now().toString().padStart(15, '0')}/`;
    for (const [name, bytes] of files) if (name !== META_FILE) await this.store.put(this.output.bucket, folder + name, bytes);
    const manifest = await this.store.put(this.output.bucket, folder + META_FILE, meta, { contentType: 'application/json' });
    const ref: FolderRef = { bucket: this.output.bucket, prefix: folder, manifest };
    await this.store.put(this.output.bucket, `${this.prefix}latest.json`, JSON.stringify(ref), { contentType: 'application/json' });
    if (previous && previous.prefix !== folder) {
      for (const key of await this.store.list(previous.bucket, previous.prefix)) await this.store.delete(previous.bucket, key);
    }
    await this.onSaved(ref);
  }

  async load(): Promise<CheckpointFiles> {
    const ref = await this.latest();
    if (!ref) throw new CheckpointError(`${this.location}: no checkpoint saved yet`);
    const files: CheckpointFiles = new Map();
    for (const key of await this.store.list(ref.bucket, ref.prefix)) {
      files.set(key.slice(ref.prefix.length), new Uint8Array(await this.store.getBytes(ref.bucket, key)));
    }
    return files;
  }
}
