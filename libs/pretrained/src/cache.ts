/** Where dermagan caches downloads and converted models: `${DERMAGAN_CACHE:-~/.cache/dermagan}`. */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function dermaganCache(): string {
  return process.env.DERMAGAN_CACHE ?? join(homedir(), '.cache', 'dermagan');
}

/** The folder of one converted model. */
export function modelDir(id: string, cache = dermaganCache()): string {
  return join(cache, 'models', id);
}

/** Where downloaded PyPI archives are kept. */
export function pypiDir(cache = dermaganCache()): string {
  return join(cache, 'pypi');
}
