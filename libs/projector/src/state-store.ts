/**
 * Where per-image projection states live between steps: a folder here (the CLI), the artifact
 * store in the projector service. Keys are the image's position in the job (its job file pins
 * which image that is).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeState, encodeState, type ImageState } from './state.ts';

export interface StateStore {
  /** The saved state of image `position`, or null when it has none. */
  load(position: number): Promise<ImageState | null>;
  /** Replace image `position`'s state atomically (a crash leaves the old one or the new one). */
  save(position: number, state: ImageState): Promise<void>;
}

/** `000042.state` */
export function stateFileName(position: number): string {
  return `${String(position).padStart(6, '0')}.state`;
}

export class FolderStateStore implements StateStore {
  constructor(readonly dir: string) {}

  async load(position: number): Promise<ImageState | null> {
    const path = join(this.dir, stateFileName(position));
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    return decodeState(bytes, path);
  }

  async save(position: number, state: ImageState): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, stateFileName(position));
    await writeFile(`${path}.tmp`, encodeState(state));
    await rename(`${path}.tmp`, path);
  }
}

/** In memory (tests, and a projection that need not survive its process). */
export class MemoryStateStore implements StateStore {
  readonly files = new Map<number, Buffer>();
  async load(position: number): Promise<ImageState | null> {
    const b = this.files.get(position);
    return b ? decodeState(b, `memory:${position}`) : null;
  }
  async save(position: number, state: ImageState): Promise<void> {
    this.files.set(position, encodeState(state));
  }
}
