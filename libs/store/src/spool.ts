import { createHash, randomBytes } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

/** A stream copied to a local temp file, with the sha256 and size of its bytes. */
export interface Spooled {
  path: string;
  sha256: string;
  size: number;
  /** Removes the temp file (safe to call twice). */
  remove(): Promise<void>;
}

/**
 * Copies a stream into a temp file in `dir`, hashing it on the way (memory use: one chunk).
 * The S3 adapter spools a streamed body so that it knows the sha256 before the upload starts (it
 * travels as object metadata) and can send the same bytes again when a retry needs them.
 */
export async function spoolToFile(source: Readable, dir: string): Promise<Spooled> {
  const path = join(dir, `dermagan-spool-${randomBytes(8).toString('hex')}`);
  const remove = () => unlink(path).catch(() => undefined);
  const handle = await open(path, 'wx', 0o600);
  let written: { sha256: string; size: number };
  try {
    written = await writeHashing(source, handle);
  } catch (err) {
    await handle.close();
    await remove();
    throw err;
  }
  await handle.close();
  return { path, ...written, remove };
}

/** Write every chunk of `source` to `handle` from position 0, hashing on the way (memory: one chunk). */
export async function writeHashing(source: AsyncIterable<unknown>, handle: FileHandle): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    hash.update(bytes);
    await writeAll(handle, bytes, size);
    size += bytes.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Writes all of `bytes` at `position` (a single write may be short). */
export async function writeAll(handle: FileHandle, bytes: Buffer, position: number): Promise<void> {
  for (let offset = 0; offset < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, position + offset);
    offset += bytesWritten;
  }
}
