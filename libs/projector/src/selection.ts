/**
 * Which images of a dataset to project: a split, classes, a tenant, then either the first n or an
 * explicit list of ids (every id must exist: a typo is an error, never a silent skip).
 */
import { selectImages, type DatasetManifest, type ImageEntry } from '@dermagan/dataset';
import { ProjectorError } from './errors.ts';

export interface Selection {
  /** Keep these splits (undefined = every image). */
  split?: ImageEntry['split'][];
  /** Keep these class indices (undefined = all). */
  classes?: number[];
  /** Keep one federation tenant's images. */
  tenant?: string;
  /** The first n of what is kept, in manifest order. */
  n?: number;
  /** Exactly these ids, in this order (after the filters above). */
  ids?: string[];
}

export function selectTargets(manifest: DatasetManifest, selection: Selection, what: string): ImageEntry[] {
  const kept = selectImages(manifest, {
    ...(selection.split ? { split: selection.split } : {}),
    ...(selection.classes ? { labels: selection.classes } : {}),
    ...(selection.tenant ? { tenant: selection.tenant } : {}),
  });
  if (selection.ids && selection.n !== undefined) throw new ProjectorError('select either n or ids, not both');
  let out = kept;
  if (selection.ids) {
    const byId = new Map(kept.map((e) => [e.id, e]));
    const missing = selection.ids.filter((id) => !byId.has(id));
    if (missing.length > 0) {
      throw new ProjectorError(
        `${missing.length} of the ${selection.ids.length} ids are not among the selected images of ${what}: ${missing.slice(0, 5).map((m) => JSON.stringify(m)).join(', ')}${missing.length > 5 ? ', …' : ''}`,
      );
    }
    const seen = new Set<string>();
    const dup = selection.ids.find((id) => (seen.has(id) ? true : (seen.add(id), false)));
    if (dup !== undefined) throw new ProjectorError(`id ${JSON.stringify(dup)} is listed twice`);
    out = selection.ids.map((id) => byId.get(id)!);
  } else if (selection.n !== undefined) {
    out = kept.slice(0, selection.n);
  }
  if (out.length === 0) throw new ProjectorError(`no images of ${what} are selected (split ${JSON.stringify(selection.split ?? 'any')}, classes ${JSON.stringify(selection.classes ?? 'any')})`);
  return out;
}

/** An ids file: one id per line; blank lines and lines starting with # are ignored. */
export function parseIdsFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
}
