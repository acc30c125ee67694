/**
 * Writing key material a command makes: never over an existing file (a key someone relies on is
 * not replaced), secret files with mode 0600 from the start (never readable by others, even briefly).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from './output.ts';

/** Write `files` into `dir` (created when missing); `secret` names are written 0600, the rest 0644. */
export async function writeNewFiles(dir: string, files: Record<string, string>, secret: readonly string[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const taken = Object.keys(files).filter((name) => existsSync(join(dir, name)));
  if (taken.length > 0) throw new UserError(`${join(dir, taken[0]!)} already exists; nothing was written. Choose another --out folder (a key in use must not be replaced by accident)`);
  const written: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    try {
      await writeFile(path, text, { flag: 'wx', mode: secret.includes(name) ? 0o600 : 0o644 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new UserError(`${path} already exists; it is left as it is. Choose another --out folder (a key in use must not be replaced by accident)`);
      }
      throw err;
    }
    written.push(path);
  }
  return written;
}
