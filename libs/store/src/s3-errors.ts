/**
 * How the S3 adapter reads a failure of the minio client: which ones retrying can fix, and which
 * ones mean "no such bucket / object". Kept apart from the adapter so the table is easy to check.
 */

/** Socket-level failures: the server is down, restarting or the network dropped the connection. */
const TRANSIENT_NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** S3 error codes that say "try again" (AWS and MinIO documentation; MinIO's 503 family). */
const TRANSIENT_S3_CODES = new Set([
  'InternalError',
  'ServiceUnavailable',
  'SlowDown',
  'RequestTimeout',
  'XMinioServerNotInitialized',
  'XMinioReadQuorum',
  'XMinioWriteQuorum',
  'XMinioBackendDown',
]);

const NO_SUCH_KEY = new Set(['NoSuchKey', 'NotFound']);
const NO_SUCH_BUCKET = new Set(['NoSuchBucket']);
/** A conditional request's condition did not hold (a put with If-None-Match: * found an object). */
const PRECONDITION_FAILED = new Set(['PreconditionFailed']);
const ACCESS_DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken']);

/** What a minio-client failure means for the store. */
export type S3FailureKind = 'transient' | 'no-such-key' | 'no-such-bucket' | 'access-denied' | 'precondition-failed' | 'other';

export function classifyS3Failure(err: unknown): S3FailureKind {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string') {
    if (TRANSIENT_NET_CODES.has(code) || TRANSIENT_S3_CODES.has(code)) return 'transient';
    if (NO_SUCH_KEY.has(code)) return 'no-such-key';
    if (NO_SUCH_BUCKET.has(code)) return 'no-such-bucket';
    if (ACCESS_DENIED.has(code)) return 'access-denied';
    if (PRECONDITION_FAILED.has(code)) return 'precondition-failed';
  }
  const message = err instanceof Error ? err.message : '';
  // With its own retries off, minio 8 reports a 408/429/5xx reply as a plain Error whose message
  // carries the status ("Retryable HTTP status: 503"), and a dropped socket as "socket hang up".
  if (/Retryable HTTP status: \d+/.test(message) || /socket hang up/.test(message)) return 'transient';
  return 'other';
}
