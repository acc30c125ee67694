import type { Readable } from 'node:stream';
import type { ArtifactRef } from '@dermagan/contracts';

/**
 * One artifact store, two adapters (local folder, any S3 server via the minio client).
 *
 * Guarantees every adapter keeps (one contract test suite checks both):
 * - put is atomic: a reader sees the whole new object or the old one / none, never a partial one;
 * - put streams (large objects are never buffered whole) and returns the object's sha256 and size;
 * - get verifies: the stream errors with IntegrityError if the bytes do not hash to what was stored;
 * - transient failures are retried with backoff, then surface as StoreUnavailableError (retriable).
 */
export interface ObjectStore {
  /** Human-readable location for logs and errors, e.g. `file:///data` or `s3://127.0.0.1:9000`. */
  readonly url: string;
  /** Create the bucket when missing (idempotent). */
  ensureBucket(bucket: string): Promise<void>;
  /**
   * Write an object from bytes or a stream; resolves to its reference (bucket, key, sha256, size,
   * contentType). Throws NotFoundError when the bucket does not exist.
   */
  put(bucket: string, key: string, body: Readable | Uint8Array | string, options?: PutOptions): Promise<ArtifactRef>;
  /** Read an object as a verified stream. Throws NotFoundError when absent. */
  get(bucket: string, key: string): Promise<Readable>;
  /** Read a whole (small) object, verified. */
  getBytes(bucket: string, key: string): Promise<Buffer>;
  /**
   * The object's reference as its put returned it, or null when the object (or its bucket) does not
   * exist. Does not read the bytes (no verification); throws IntegrityError for an object that has
   * no recorded sha256 (it was not written through the store).
   */
  stat(bucket: string, key: string): Promise<ArtifactRef | null>;
  /** Keys starting with `prefix` (a plain string prefix, not only folders), sorted. Throws NotFoundError for a missing bucket. */
  list(bucket: string, prefix?: string): Promise<string[]>;
  /** Remove an object (no error when absent). */
  delete(bucket: string, key: string): Promise<void>;
  /** True when the store answers (readiness). */
  ping(): Promise<boolean>;
}

/** Content type recorded when a put names none. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

export interface PutOptions {
  /** MIME type recorded with the object and returned in its ArtifactRef (default DEFAULT_CONTENT_TYPE). */
  contentType?: string;
  /** If given, the write fails with IntegrityError when the bytes do not hash to this. */
  expectedSha256?: string;
  /**
   * Write only when no object has this key; otherwise fail with ObjectExistsError and store
   * nothing. Of puts racing for one key, exactly one succeeds (S3: `If-None-Match: *`). A put
   * retried after a lost reply may find its own first attempt: callers that must know (a lease)
   * put something of theirs in the bytes and read the object back on ObjectExistsError.
   */
  ifAbsent?: boolean;
}
