import { describe, expect, it } from 'vitest';
import { classifyS3Failure } from './s3-errors.ts';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('classifyS3Failure', () => {
  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'SlowDown', 'InternalError', 'ServiceUnavailable', 'XMinioServerNotInitialized'])('%s is transient', (code) => {
    expect(classifyS3Failure(withCode(code))).toBe('transient');
  });

  it('a 5xx reported by minio-client as a plain message is transient', () => {
    expect(classifyS3Failure(new Error('Request failed after 0 retries: Error: Retryable HTTP status: 503'))).toBe('transient');
    expect(classifyS3Failure(new Error('socket hang up'))).toBe('transient');
  });

  it('tells missing objects from missing buckets', () => {
    expect(classifyS3Failure(withCode('NoSuchKey'))).toBe('no-such-key');
    expect(classifyS3Failure(withCode('NotFound'))).toBe('no-such-key');
    expect(classifyS3Failure(withCode('NoSuchBucket'))).toBe('no-such-bucket');
  });

  it.each(['AccessDenied', 'SignatureDoesNotMatch', 'InvalidAccessKeyId', 'ExpiredToken'])('%s is access-denied', (code) => {
    expect(classifyS3Failure(withCode(code))).toBe('access-denied');
  });

  it('a failed condition (If-None-Match) is precondition-failed, not retried', () => {
    expect(classifyS3Failure(withCode('PreconditionFailed'))).toBe('precondition-failed');
  });

  it.each(['EntityTooLarge', 'InvalidArgument', 'MalformedXML'])('%s is not retried', (code) => {
    expect(classifyS3Failure(withCode(code))).toBe('other');
  });
});
