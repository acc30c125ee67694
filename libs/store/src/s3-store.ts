import { tmpdir } from 'node:os';
import { createReadStream } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { Readable } from 'node:stream';
import type { ArtifactRef } from '@dermagan/contracts';
import { Client } from 'minio';
import { AccessDeniedError, IntegrityError, NotFoundError, ObjectExistsError, StoreUnavailableError } from './errors.ts';
import { adoptSource, readAll, sha256Hex, toBuffer, VerifyingStream } from './hashing.ts';
import { checkBucket, checkKey, checkPrefix } from './keys.ts';
import { DEFAULT_RETRY, RetriesExhausted, withRetry, type RetryOptions } from './retry.ts';
import { classifyS3Failure } from './s3-errors.ts';
import { spoolToFile } from './spool.ts';
import { DEFAULT_CONTENT_TYPE, type ObjectStore, type PutOptions } from './store.ts';

export interface S3StoreOptions {
  /** Server address with scheme and port, e.g. `http://127.0.0.1:9000` or `https://s3.eu-west-1.amazonaws.com`. */
  endpoint: string;
  /** Access key id. */
  accessKey: string;
  /** Secret access key. */
  secretKey: string;
  /** Session token, for temporary (STS) credentials such as a tenant's bucket-scoped ones. */
  sessionToken?: string;
  /** Region sent with requests (default `us-east-1`, what MinIO expects unless configured otherwise). */
  region?: string;
  /**
   * Part size in bytes for multipart uploads (default 8 MiB, at least 5 MiB): objects above it
   * upload in parts, and one put holds about two parts in memory (measured: 15 MiB at 5 MiB parts,
   * 35 MiB at 16 MiB). Objects are limited to 10 000 parts (78 GiB at the default).
   */
  partSize?: number;
  /** Retries of a call that failed transiently (connection refused/reset, 5xx); default DEFAULT_RETRY. */
  retry?: Partial<RetryOptions>;
  /** Folder for the temp copy of a streamed put body (default the OS temp folder). */
  spoolDir?: string;
  /**
   * A request whose connection stays silent this long (ms) fails with ETIMEDOUT and is retried
   * (default 30 000). It bounds inactivity, not the duration of a large transfer.
   */
  idleTimeoutMs?: number;
}

/** Object metadata key (sent as `x-amz-meta-sha256`) holding the sha256 recorded at put. */
const SHA256_META = 'sha256';
const MiB = 1024 * 1024;

/**
 * The artifact store on any S3 server (MinIO, AWS S3, SeaweedFS…) through the minio client.
 *
 * Put: a streamed body is first copied to a local temp file while hashing it (memory: one chunk),
 * so the sha256 is known before the upload and travels as `x-amz-meta-sha256`, and a retry can
 * send the bytes again; bytes and strings are hashed in memory. The upload itself is one PUT, or a
 * multipart upload for objects above `partSize` — either way S3 makes the object visible only
 * whole. Get: the object streams through a hash and the stream errors with IntegrityError when the
 * bytes do not match the recorded sha256. Connection failures and 5xx replies are retried with
 * backoff, then surface as StoreUnavailableError naming the endpoint.
 */
export class S3Store implements ObjectStore {
  readonly url: string;
  private readonly client: Client;
  private readonly retry: RetryOptions;
  private readonly spoolDir: string;

  constructor(options: S3StoreOptions) {
    const endpoint = parseEndpoint(options?.endpoint);
    for (const field of ['accessKey', 'secretKey'] as const) {
      if (typeof options[field] !== 'string' || options[field].length === 0) {
        throw new TypeError(`S3Store: ${field} is required (set DERMAGAN_S3_${field === 'accessKey' ? 'ACCESS' : 'SECRET'}_KEY)`);
      }
    }
    const partSize = options.partSize ?? 8 * MiB;
    if (!Number.isInteger(partSize) || partSize < 5 * MiB) {
      throw new RangeError(`S3Store: partSize must be an integer >= 5 MiB (S3's minimum part), got ${partSize}`);
    }
    this.url = endpoint.href.replace(/\/$/, '');
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.spoolDir = options.spoolDir ?? tmpdir();
    this.client = new Client({
      endPoint: endpoint.hostname.replace(/^\[|\]$/g, ''),
      port: Number(endpoint.port || (endpoint.protocol === 'https:' ? 443 : 80)),
      useSSL: endpoint.protocol === 'https:',
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      ...(options.sessionToken !== undefined && { sessionToken: options.sessionToken }),
      region: options.region ?? 'us-east-1',
      partSize,
      pathStyle: true,
      transport: idleTimeoutTransport(endpoint.protocol === 'https:' ? https : http, options.idleTimeoutMs ?? 30_000),
      // Our retry policy (withRetry) replaces the client's, which logs with console.warn.
      retryOptions: { disableRetry: true },
    });
  }

  async ensureBucket(bucket: string): Promise<void> {
    checkBucket(bucket);
    await this.call(`ensureBucket ${bucket}`, async () => {
      if (await this.client.bucketExists(bucket)) return;
      try {
        await this.client.makeBucket(bucket);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw err;
      }
    }, { bucket });
  }

  async put(bucket: string, key: string, body: Readable | Uint8Array | string, options: PutOptions = {}): Promise<ArtifactRef> {
    checkBucket(bucket);
    checkKey(key);
    const contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
    const operation = `put ${bucket}/${key}`;
    // Know the bytes' sha256 and size before anything is sent.
    let content: { sha256: string; size: number; open: () => Readable | Buffer; done: () => Promise<void> };
    if (body instanceof Readable) {
      const spooled = await spoolToFile(adoptSource(body), this.spoolDir);
      content = { sha256: spooled.sha256, size: spooled.size, open: () => createReadStream(spooled.path), done: spooled.remove };
    } else {
      const bytes = toBuffer(body);
      content = { sha256: sha256Hex(bytes), size: bytes.length, open: () => bytes, done: async () => undefined };
    }
    try {
      if (options.expectedSha256 !== undefined && options.expectedSha256 !== content.sha256) {
        throw new IntegrityError(bucket, key, options.expectedSha256, content.sha256, `the bytes hash to ${content.sha256}, expected ${options.expectedSha256}; nothing was stored`);
      }
      await this.call(operation, () =>
        this.client.putObject(bucket, key, content.open(), content.size, {
          'Content-Type': contentType,
          [`X-Amz-Meta-${SHA256_META}`]: content.sha256,
          ...(options.ifAbsent ? { 'If-None-Match': '*' } : {}),
        }),
        { bucket, key },
      );
      return { bucket, key, sha256: content.sha256, size: content.size, contentType };
    } finally {
      await content.done();
    }
  }

  async get(bucket: string, key: string): Promise<Readable> {
    checkBucket(bucket);
    checkKey(key);
    const operation = `get ${bucket}/${key}`;
    const response = (await this.call(operation, () => this.client.getObject(bucket, key), { bucket, key })) as http.IncomingMessage;
    // The recorded sha256 comes in the same reply as the bytes: no window for a concurrent put.
    const recorded = response.headers[`x-amz-meta-${SHA256_META}`];
    if (typeof recorded !== 'string') {
      response.destroy();
      throw new IntegrityError(bucket, key, null, 'unknown', `it has no x-amz-meta-${SHA256_META} metadata: it was not written through the store; put it again`);
    }
    const verify = new VerifyingStream((sha256, size) =>
      sha256 === recorded
        ? null
        : new IntegrityError(bucket, key, recorded, sha256, `the bytes served by ${this.url} (${size} B, sha256 ${sha256}) do not match the sha256 recorded when they were written (${recorded}): the object was corrupted or overwritten outside the store`),
    );
    // A dropped connection mid-stream is the server's failure, not the data's.
    response.on('error', (err) => verify.destroy(new StoreUnavailableError(this.url, operation, 1, err)));
    verify.on('close', () => {
      if (!response.readableEnded) response.destroy();
    });
    return response.pipe(verify);
  }

  async getBytes(bucket: string, key: string): Promise<Buffer> {
    return readAll(await this.get(bucket, key));
  }

  async stat(bucket: string, key: string): Promise<ArtifactRef | null> {
    checkBucket(bucket);
    checkKey(key);
    let info;
    try {
      info = await this.call(`stat ${bucket}/${key}`, () => this.client.statObject(bucket, key), { bucket, key });
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
    const sha256 = info.metaData[SHA256_META];
    if (typeof sha256 !== 'string') {
      throw new IntegrityError(bucket, key, null, 'unknown', `it has no x-amz-meta-${SHA256_META} metadata: it was not written through the store; put it again`);
    }
    const contentType = info.metaData['content-type'];
    return { bucket, key, sha256, size: info.size, contentType: typeof contentType === 'string' ? contentType : DEFAULT_CONTENT_TYPE };
  }

  async list(bucket: string, prefix = ''): Promise<string[]> {
    checkBucket(bucket);
    checkPrefix(prefix);
    return this.call(`list ${bucket}/${prefix}`, async () => {
      const keys: string[] = [];
      for await (const item of this.client.listObjectsV2(bucket, prefix, true)) {
        if (typeof item.name === 'string') keys.push(item.name);
      }
      return keys.sort();
    }, { bucket });
  }

  async delete(bucket: string, key: string): Promise<void> {
    checkBucket(bucket);
    checkKey(key);
    try {
      await this.call(`delete ${bucket}/${key}`, () => this.client.removeObject(bucket, key), { bucket, key });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err; // deleting from a missing bucket: nothing to do
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.client.listBuckets();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Runs one client call with the retry policy and translates its failures: transient ones that
   * outlast the retries → StoreUnavailableError; missing bucket/object → NotFoundError (when the
   * caller says which); anything else passes unchanged.
   */
  private async call<T>(operation: string, fn: () => Promise<T>, target?: { bucket: string; key?: string }): Promise<T> {
    try {
      return await withRetry(fn, (err) => classifyS3Failure(err) === 'transient', this.retry);
    } catch (err) {
      if (err instanceof RetriesExhausted) throw new StoreUnavailableError(this.url, operation, err.attempts, err.lastError);
      const kind = classifyS3Failure(err);
      if (target !== undefined && kind === 'no-such-bucket') {
        const missing = new NotFoundError(target.bucket, undefined, this.url, { cause: err });
        missing.message += `; create it with ensureBucket()`;
        throw missing;
      }
      if (target?.key !== undefined && kind === 'no-such-key') throw new NotFoundError(target.bucket, target.key, this.url, { cause: err });
      if (target?.key !== undefined && kind === 'precondition-failed') throw new ObjectExistsError(target.bucket, target.key, this.url, { cause: err });
      if (target !== undefined && kind === 'access-denied') throw new AccessDeniedError(target.bucket, target.key, this.url, operation, { cause: err });
      throw err;
    }
  }
}

/**
 * http(s).request with an inactivity timeout: a server that accepts the connection but stops
 * answering fails the request with ETIMEDOUT (which the retry policy treats as transient) instead
 * of blocking forever.
 */
function idleTimeoutTransport(base: typeof http | typeof https, idleTimeoutMs: number): Pick<typeof http, 'request'> {
  const request = (...args: Parameters<typeof http.request>): http.ClientRequest => {
    const req = (base.request as typeof http.request)(...args);
    req.setTimeout(idleTimeoutMs, () => {
      const err = Object.assign(new Error(`no answer for ${idleTimeoutMs} ms`), { code: 'ETIMEDOUT' });
      req.destroy(err);
    });
    return req;
  };
  return { request: request as typeof http.request };
}

function parseEndpoint(endpoint: unknown): URL {
  let url: URL;
  try {
    url = new URL(String(endpoint));
  } catch {
    throw new TypeError(`S3Store: endpoint must be a URL such as http://127.0.0.1:9000, got ${JSON.stringify(endpoint)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`S3Store: endpoint must start with http:// or https://, got ${JSON.stringify(endpoint)}`);
  }
  if (url.pathname !== '/' || url.search !== '' || url.username !== '') {
    throw new TypeError(`S3Store: endpoint is a server address only (scheme, host, port), got ${JSON.stringify(endpoint)}`);
  }
  return url;
}
