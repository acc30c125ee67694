import { readFileSync } from 'node:fs';

/** The dermagan version (root package.json), recorded in every result's provenance. */
export const DERMAGAN_VERSION: string = JSON.parse(
  readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
).version;
