/**
 * The identity of a projection written into its output folder (`job.json`): the generator's weights,
 * the dataset, the images, the options that change results, the distance. A rerun into the same
 * folder continues only when all of these are the same (batch size and save interval may differ:
 * they change no result); anything else is refused with what differs.
 */
import { createHash } from 'node:crypto';
import type { Generator } from '@dermagan/gan';
import { claimFolder } from './claim-folder.ts';
import type { ProjectorOptions } from './options.ts';

export const JOB_FORMAT = 'dermagan.projection/v1';
export const JOB_FILE = 'job.json';

export interface ProjectionJobFile {
  format: typeof JOB_FORMAT;
  generator: { fingerprint: string; provenance: Record<string, unknown> };
  dataset: { fingerprint: string; name: string };
  ids: string[];
  /** Options that change results (not batch or saveEvery). */
  options: Omit<ProjectorOptions, 'batch' | 'saveEvery'>;
  perceptual: { id: string; hash: string };
}

/** sha256 over G's tensors by name (what the generator computes, whatever file it came from). */
export function generatorFingerprint(G: Generator): string {
  const hash = createHash('sha256');
  for (const [name, v] of G.ps.entries()) {
    const data = v.dataSync() as Float32Array;
    hash.update(`${name} ${v.shape.join('x')}\n`).update(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  return hash.digest('hex');
}

export function resultOptions(o: ProjectorOptions): ProjectionJobFile['options'] {
  const { batch: _b, saveEvery: _s, ...rest } = o;
  return rest;
}

/** What differs between two job files, as readable phrases (empty: the same job). */
export function jobDifferences(a: ProjectionJobFile, b: ProjectionJobFile): string[] {
  const out: string[] = [];
  if (a.generator.fingerprint !== b.generator.fingerprint) out.push('the generator');
  if (a.dataset.fingerprint !== b.dataset.fingerprint) out.push('the dataset');
  if (JSON.stringify(a.ids) !== JSON.stringify(b.ids)) out.push(`the images (${a.ids.length} then, ${b.ids.length} now)`);
  for (const k of Object.keys(b.options) as Array<keyof ProjectionJobFile['options']>) {
    if (JSON.stringify(a.options[k]) !== JSON.stringify(b.options[k])) out.push(`${k} (${JSON.stringify(a.options[k])} then, ${JSON.stringify(b.options[k])} now)`);
  }
  if (a.perceptual.id !== b.perceptual.id || a.perceptual.hash !== b.perceptual.hash) out.push(`the distance (${a.perceptual.id} then, ${b.perceptual.id} now)`);
  return out;
}

/**
 * Claim `dir` for `job`: a new or empty folder gets the job file; a folder with the same job
 * continues (returns true); a folder with another job, or with files that are not a projection's,
 * is refused — nothing a user owns is overwritten.
 */
export function claimOutputFolder(dir: string, job: ProjectionJobFile): Promise<{ resuming: boolean }> {
  return claimFolder(dir, { file: JOB_FILE, format: JOB_FORMAT, what: "a projection's", identity: job, differences: jobDifferences });
}
