import { InvalidKeyError } from './errors.ts';

/**
 * Bucket and key rules shared by both adapters, so a key that works on the local folder also works
 * on S3 and the reverse. Buckets follow S3's naming rules; keys are relative '/'-separated paths.
 */

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Marker in the names of a local store's in-progress temp files (never a valid key segment). */
export const TEMP_MARKER = '.dermagan-tmp-';

/** Throws InvalidKeyError unless `bucket` is a valid S3 bucket name (3–63 of a-z 0-9 . -). */
export function checkBucket(bucket: string): void {
  if (typeof bucket !== 'string' || !BUCKET.test(bucket) || bucket.includes('..')) {
    throw new InvalidKeyError(
      `invalid bucket name ${JSON.stringify(bucket)}: expected 3–63 characters of a-z, 0-9, '.' and '-', ` +
        `starting and ending with a letter or digit (S3 bucket naming rules)`,
    );
  }
}

/** Throws InvalidKeyError unless `key` is a relative '/'-separated path without '.'/'..'/empty segments. */
export function checkKey(key: string): void {
  const bad = (why: string): never => {
    throw new InvalidKeyError(`invalid object key ${JSON.stringify(key)}: ${why}`);
  };
  if (typeof key !== 'string' || key.length === 0) bad('expected a non-empty string');
  if (Buffer.byteLength(key) > 1024) bad('longer than 1024 bytes');
  if (key.startsWith('/')) bad('keys are relative: remove the leading "/"');
  if (key.includes('\\')) bad('use "/" as the separator, not "\\"');
  if (key.includes('\0')) bad('contains a NUL character');
  for (const segment of key.split('/')) {
    if (segment === '') bad('empty path segment ("//" or a trailing "/")');
    if (segment === '.' || segment === '..') bad(`"${segment}" segments are not allowed`);
    if (segment.includes(TEMP_MARKER)) bad(`"${TEMP_MARKER}" is reserved for the store's temp files`);
  }
}

/** Throws InvalidKeyError unless `prefix` is empty or a valid key prefix (may end with '/'). */
export function checkPrefix(prefix: string): void {
  if (prefix === '') return;
  checkKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}
