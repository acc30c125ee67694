/**
 * Paths named inside files stay inside their folder. A dataset manifest names its shards, a tfjs
 * model.json its weight files, a checkpoint its tensors: each is a path relative to the folder of
 * the file that names it, and a `../../etc/passwd`, an absolute path or a URL there is tampering,
 * refused with UnsafePathError before anything is read. Symbolic links inside a folder may point
 * anywhere inside it, never out of it (`realPathInside`).
 */
import { realpath } from 'node:fs/promises';
import { join, relative, isAbsolute, sep } from 'node:path';

/** A path from a file that leaves its folder: bad input, never retried. */
export class UnsafePathError extends Error {
  override readonly name = 'UnsafePathError';
  readonly retriable = false;
}

/**
 * The '/'-separated segments of a relative path named in a file (`shards/shard-00000.npy`,
 * `./weights.bin`), '.' and empty segments dropped. Throws UnsafePathError for an absolute path, a
 * drive or URL scheme, a backslash, a NUL, or any '..' segment. `what` names the path's origin
 * for the message ("manifest.json shard 3").
 */
export function relativeSegments(path: string, what: string): string[] {
  const refuse = (why: string): never => {
    throw new UnsafePathError(`${what}: the path ${JSON.stringify(path)} ${why}; a path named in a file must stay inside that file's folder`);
  };
  if (typeof path !== 'string' || path.length === 0) refuse('is empty');
  if (path.includes('\0')) refuse('contains a NUL character');
  if (path.includes('\\')) refuse('uses "\\" (only "/" separates folders)');
  if (path.startsWith('/')) refuse('is absolute');
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) refuse('has a scheme or drive (it is not a relative path)');
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) refuse('climbs out with ".."');
  if (segments.length === 0) refuse('names the folder itself');
  return segments;
}

/** `root` joined with a relative path named in a file, which must stay inside `root` (see relativeSegments). */
export function safeJoin(root: string, path: string, what: string): string {
  return join(root, ...relativeSegments(path, what));
}

/**
 * A relative path named in a file beside `base` (a file:// or http(s):// URL of that file), as a
 * URL in the same folder or below it; each segment is percent-encoded so `?` and `#` stay names.
 */
export function safeResolveUrl(base: string, path: string, what: string): string {
  const segments = relativeSegments(path, what).map((s) => encodeURIComponent(s));
  return new URL(segments.join('/'), base).toString();
}

/** True when `path` is `root` or inside it (both absolute, already resolved). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * The real path of `path` (every symbolic link resolved) when it lies inside the real path of
 * `root`, else null: a link inside a source folder that points out of it is not followed.
 */
export async function realPathInside(root: string, path: string): Promise<string | null> {
  const [realRoot, real] = await Promise.all([realpath(root), realpath(path)]);
  return isInside(realRoot, real) ? real : null;
}
