/**
 * An output folder owned by one job: a marker file (`job.json`, `audit-job.json`) holds the job's
 * identity. A new or empty folder is claimed; a folder with the same identity is continued; a
 * folder with another identity, or with files and no marker, is refused with what differs —
 * nothing a user owns is ever overwritten.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProjectorError } from './errors.ts';

export interface FolderClaim<T extends { format: string }> {
  /** Marker file name. */
  file: string;
  format: string;
  /** Whose folder it is, for messages ("a projection's"). */
  what: string;
  identity: T;
  /** Readable phrases for what differs between the folder's identity and this one (empty: same). */
  differences: (previous: T, current: T) => string[];
}

export async function claimFolder<T extends { format: string }>(dir: string, claim: FolderClaim<T>): Promise<{ resuming: boolean }> {
  const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const marker = join(dir, claim.file);
  if (entries.length > 0) {
    if (!entries.includes(claim.file)) throw new ProjectorError(`${dir} exists and is not ${claim.what} output folder (no ${claim.file}); choose a new --out`);
    let previous: T;
    try {
      previous = JSON.parse(await readFile(marker, 'utf8')) as T;
    } catch (err) {
      throw new ProjectorError(`${marker} is unreadable (${(err as Error).message}); choose a new --out`, { cause: err });
    }
    if (previous.format !== claim.format) throw new ProjectorError(`${marker} is not a ${claim.format} file; choose a new --out`);
    const diff = claim.differences(previous, claim.identity);
    if (diff.length > 0) throw new ProjectorError(`${dir} holds ${claim.what} work on other inputs (${diff.join('; ')} differ): choose a new --out, or delete it to start over`);
    return { resuming: true };
  }
  await mkdir(dir, { recursive: true });
  await writeFile(`${marker}.tmp`, `${JSON.stringify(claim.identity, null, 1)}\n`);
  await rename(`${marker}.tmp`, marker);
  return { resuming: false };
}
