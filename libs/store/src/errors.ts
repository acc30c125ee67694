/**
 * Errors of the artifact store. Each says whether retrying can help (`retriable`), as the bus's
 * errors do: a missing object, bytes that do not hash to what was recorded and a bad key are
 * facts about the data (non-retriable); a store that does not answer may answer later (retriable).
 */

/** Base class: every store error carries `retriable`. */
export class StoreError extends Error {
  override name = 'StoreError';
  /** True when the same call may succeed later (the store was unreachable or overloaded). */
  readonly retriable: boolean;

  constructor(message: string, retriable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.retriable = retriable;
  }
}

/** The object (or its bucket) does not exist. */
export class NotFoundError extends StoreError {
  override name = 'NotFoundError';

  constructor(
    /** Bucket that was asked for. */
    readonly bucket: string,
    /** Key that was asked for (undefined when the bucket itself is missing). */
    readonly key: string | undefined,
    /** Where the store lives (its url), for the message. */
    readonly storeUrl: string,
    options?: { cause?: unknown },
  ) {
    super(
      key === undefined
        ? `bucket "${bucket}" does not exist in ${storeUrl}`
        : `object "${bucket}/${key}" does not exist in ${storeUrl}`,
      false,
      options,
    );
  }
}

/** A put with `ifAbsent` found an object under its key; nothing was written. */
export class ObjectExistsError extends StoreError {
  override name = 'ObjectExistsError';

  constructor(
    readonly bucket: string,
    readonly key: string,
    readonly storeUrl: string,
    options?: { cause?: unknown },
  ) {
    super(`object "${bucket}/${key}" already exists in ${storeUrl}; nothing was written`, false, options);
  }
}

/**
 * Bytes do not hash to what they should: a put whose content is not `expectedSha256`, or a read
 * whose content is not what was recorded at write time (corruption or tampering).
 */
export class IntegrityError extends StoreError {
  override name = 'IntegrityError';

  constructor(
    readonly bucket: string,
    readonly key: string,
    /** The sha256 the bytes should have (null when none was recorded). */
    readonly expectedSha256: string | null,
    /** The sha256 the bytes have. */
    readonly actualSha256: string,
    detail: string,
  ) {
    super(`integrity check failed for "${bucket}/${key}": ${detail}`, false);
  }
}

/** A bucket name or key that the store refuses (bad input: fix the caller). */
export class InvalidKeyError extends StoreError {
  override name = 'InvalidKeyError';

  constructor(message: string) {
    super(message, false);
  }
}

/** The credentials may not do this to this bucket (a tenant reaching outside its own bucket, a wrong key). */
export class AccessDeniedError extends StoreError {
  override name = 'AccessDeniedError';

  constructor(
    readonly bucket: string,
    readonly key: string | undefined,
    readonly storeUrl: string,
    operation: string,
    options?: { cause?: unknown },
  ) {
    super(
      `access denied by ${storeUrl}: ${operation} is not allowed for these credentials. ` +
        `Check DERMAGAN_S3_ACCESS_KEY / DERMAGAN_S3_SECRET_KEY and the policy granted on bucket "${bucket}".`,
      false,
      options,
    );
  }
}

/** The store did not answer (after the configured retries); `cause` is the last failure. */
export class StoreUnavailableError extends StoreError {
  override name = 'StoreUnavailableError';

  constructor(
    /** Where the store lives, e.g. `http://127.0.0.1:9000`. */
    readonly storeUrl: string,
    /** What was being done, e.g. `put datasets/x/manifest.json`. */
    readonly operation: string,
    /** How many attempts were made. */
    readonly attempts: number,
    cause: unknown,
  ) {
    super(
      `artifact store at ${storeUrl} is unavailable: ${operation} failed after ${attempts} attempt(s): ` +
        `${describeCause(cause)}. Check that the S3 server is running and reachable at ${storeUrl} ` +
        `(DERMAGAN_S3_ENDPOINT), then retry.`,
      true,
      { cause },
    );
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' && !cause.message.includes(code) ? `${code} ${cause.message}` : cause.message;
  }
  return String(cause);
}

/** True for errors that say retrying can help (store errors with retriable = true). */
export function isRetriableStoreError(err: unknown): boolean {
  return err instanceof StoreError && err.retriable;
}
