import { open, stat, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A lock between processes sharing one local store folder: a lock file created with O_EXCL.
 * Held only for the few milliseconds in which a put or delete renames/unlinks an object's data and
 * its sidecar, so two writers of the same key cannot interleave those two steps. A lock older than
 * `staleMs` (its holder crashed between the steps) is broken.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, staleMs = 10_000): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const held = await stat(lockPath).catch(() => null);
      if (held !== null && Date.now() - held.mtimeMs > staleMs) {
        await unlink(lockPath).catch(() => undefined);
        continue;
      }
      await sleep(Math.min(1 + attempt, 20));
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}
