/**
 * The artifact store on a real S3 server (MinIO started by the global setup): the ObjectStore
 * contract suite, folder transfer and tfjs models through S3, and outages on a dedicated MinIO
 * instance that the tests stop, kill and restart.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'minio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArtifactRef } from '@dermagan/contracts';
import { AccessDeniedError, getDirectory, putDirectory, S3Store, StoreUnavailableError } from '@dermagan/store';
import { storeContractSuite } from '../libs/store/src/testing/contract-suite.ts';
import { createServer } from 'node:net';
import { bucketScopedCredentials, MinioServer, provisionS3, startMinio } from './servers/s3.ts';

const MiB = 1024 * 1024;

function serverEnv() {
  const { DERMAGAN_S3_ENDPOINT: endpoint, DERMAGAN_S3_ACCESS_KEY: accessKey, DERMAGAN_S3_SECRET_KEY: secretKey } = process.env;
  if (!endpoint || !accessKey || !secretKey) {
    throw new Error('DERMAGAN_S3_ENDPOINT / _ACCESS_KEY / _SECRET_KEY are not set: run this file through the integration project (its global setup starts MinIO)');
  }
  return { endpoint, accessKey, secretKey };
}

/** A plain minio client on the same server, for doing things behind the store's back. */
function rawClient(endpoint: string, accessKey: string, secretKey: string): Client {
  const url = new URL(endpoint);
  return new Client({ endPoint: url.hostname, port: Number(url.port), useSSL: false, accessKey, secretKey, region: 'us-east-1' });
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

storeContractSuite('S3 (MinIO)', async () => {
  const env = serverEnv();
  // 5 MiB parts (S3's minimum), so the 48 MiB contract object goes up as a multipart upload.
  const store = new S3Store({ ...env, partSize: 5 * MiB, retry: { attempts: 3, initialDelayMs: 50 } });
  const raw = rawClient(env.endpoint, env.accessKey, env.secretKey);
  return {
    store,
    // Overwrite the object with one byte flipped, carrying over the sha256 the store recorded.
    async tamper(bucket, key) {
      const info = await raw.statObject(bucket, key);
      const chunks: Buffer[] = [];
      for await (const chunk of await raw.getObject(bucket, key)) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
      await raw.putObject(bucket, key, bytes, bytes.length, { 'X-Amz-Meta-Sha256': String(info.metaData.sha256) });
    },
  };
});

describe('S3Store on MinIO: folders and models', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'dermagan-store-s3-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('a dataset folder travels through S3 byte for byte', async () => {
    const store = new S3Store(serverEnv());
    const bucket = `datasets-${randomBytes(3).toString('hex')}`;
    await store.ensureBucket(bucket);
    const src = join(work, 'src');
    await mkdir(join(src, 'shards'), { recursive: true });
    const files: Record<string, Buffer> = {
      'manifest.json': Buffer.from('{"format":"dermagan.dataset/v1"}'),
      'shards/shard-00000.npy': randomBytes(70_000),
      'shards/shard-00001.npy': randomBytes(30_000),
    };
    for (const [path, bytes] of Object.entries(files)) await writeFile(join(src, ...path.split('/')), bytes);
    const put = await putDirectory(store, bucket, 'datasets/demo/', src);
    const got = await getDirectory(store, bucket, 'datasets/demo/', join(work, 'dst'));
    expect(got.map((r) => [r.key, r.sha256, r.size])).toEqual(put.map((r) => [r.key, r.sha256, r.size]));
    for (const [path, bytes] of Object.entries(files)) {
      expect(sha256(await readFile(join(work, 'dst', ...path.split('/'))))).toBe(sha256(bytes));
    }
  });
});

describe('the MinIO test server', () => {
  it('a server that cannot start fails with its own reason and its log tail', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const workDir = await mkdtemp(join(tmpdir(), 'dermagan-minio-fail-'));
    await mkdir(join(workDir, 'data'));
    try {
      const server = new MinioServer(await provisionS3(), workDir, port, port + 1, true, 30_000);
      const err = await server.start().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/exited while starting \(exit code \d+\)/);
      expect((err as Error).message).toContain(`Last lines of ${join(workDir, 'minio.log')}`);
      expect((err as Error).message).toMatch(/port is already in use/i);
    } finally {
      taken.close();
      await rm(workDir, { recursive: true, force: true });
    }
  });
});

describe('S3Store with bucket-scoped (tenant) credentials', () => {
  it('works inside its own bucket and gets AccessDeniedError outside it', async () => {
    const env = serverEnv();
    const admin = new S3Store(env);
    const own = `tenant-a-${randomBytes(3).toString('hex')}`;
    const other = `tenant-b-${randomBytes(3).toString('hex')}`;
    await admin.ensureBucket(own);
    await admin.ensureBucket(other);
    await admin.put(other, 'images/secret.npy', 'hospital b only');

    const tenant = new S3Store({ endpoint: env.endpoint, ...(await bucketScopedCredentials({ endpoint: env.endpoint, accessKey: env.accessKey, secretKey: env.secretKey }, [own])) });
    const ref = await tenant.put(own, 'weights/update.bin', 'tenant a update');
    expect((await tenant.getBytes(own, 'weights/update.bin')).toString()).toBe('tenant a update');
    expect(await tenant.list(own)).toEqual(['weights/update.bin']);
    expect(ref.sha256).toBe(sha256(Buffer.from('tenant a update')));

    for (const call of [() => tenant.get(other, 'images/secret.npy'), () => tenant.list(other), () => tenant.put(other, 'x', 'y')]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AccessDeniedError);
      expect(err).toMatchObject({ retriable: false, bucket: other });
    }
  });
});

describe('S3Store when the server goes away', () => {
  let server: MinioServer;
  let store: S3Store;
  const bucket = 'outage';
  /** Objects written while the server was up, with their bytes. */
  const before = new Map<string, { ref: ArtifactRef; bytes: Buffer }>();

  beforeAll(async () => {
    server = await startMinio();
    store = new S3Store({ endpoint: server.endpoint, accessKey: server.accessKey, secretKey: server.secretKey, partSize: 5 * MiB, retry: { attempts: 3, initialDelayMs: 50, maxDelayMs: 200 } });
    await store.ensureBucket(bucket);
    for (const [key, size] of [['before/small.bin', 2_000], ['before/multipart.bin', 12 * MiB]] as const) {
      const bytes = randomBytes(size);
      before.set(key, { ref: await store.put(bucket, key, Readable.from([bytes])), bytes });
    }
  });
  afterAll(async () => {
    await server?.dispose();
  });

  async function expectIntactAfterRestart(extraKeys: string[] = []) {
    expect(await store.list(bucket)).toEqual([...before.keys(), ...extraKeys].sort());
    for (const [key, { ref, bytes }] of before) {
      expect(await store.stat(bucket, key)).toEqual(ref);
      expect(sha256(await store.getBytes(bucket, key))).toBe(sha256(bytes));
    }
  }

  it('put, get, stat and list retry, then fail with StoreUnavailableError naming the endpoint; after a restart everything is intact', async () => {
    await server.stop();
    expect(await store.ping()).toBe(false);
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['put during/new.bin', () => store.put(bucket, 'during/new.bin', Readable.from([randomBytes(100_000)]))],
      ['get before/small.bin', () => store.get(bucket, 'before/small.bin')],
      ['stat before/small.bin', () => store.stat(bucket, 'before/small.bin')],
      ['list outage/', () => store.list(bucket)],
    ];
    for (const [operation, call] of calls) {
      const started = Date.now();
      const err = await call().catch((e: unknown) => e);
      expect(err, operation).toBeInstanceOf(StoreUnavailableError);
      expect(err).toMatchObject({ retriable: true, storeUrl: server.endpoint, attempts: 3 });
      expect((err as Error).message).toContain(server.endpoint);
      expect((err as Error).message).toContain('ECONNREFUSED');
      // Two backoff waits of at least 25 ms and 50 ms (the lower half of each jittered delay).
      expect(Date.now() - started).toBeGreaterThanOrEqual(75);
    }

    await server.start();
    expect(await store.ping()).toBe(true);
    await expectIntactAfterRestart();
  });

  it('retries ride out a short outage: a put started while the server is down lands once it is back', async () => {
    await server.stop();
    const patient = new S3Store({ endpoint: server.endpoint, accessKey: server.accessKey, secretKey: server.secretKey, retry: { attempts: 12, initialDelayMs: 200, maxDelayMs: 1000 } });
    const bytes = randomBytes(50_000);
    const put = patient.put(bucket, 'rode-out.bin', bytes);
    await sleep(300);
    await server.start();
    const ref = await put;
    expect(ref.sha256).toBe(sha256(bytes));
    expect(sha256(await store.getBytes(bucket, 'rode-out.bin'))).toBe(sha256(bytes));
    await store.delete(bucket, 'rode-out.bin');
  });

  it('a server killed during a multipart overwrite leaves the old object whole, never a partial one', async () => {
    const key = 'before/multipart.bin';
    const raw = rawClient(server.endpoint, server.accessKey, server.secretKey);
    const replacement = randomBytes(40 * MiB);
    const put = store.put(bucket, key, Readable.from([replacement])).then(
      () => 'completed' as const,
      (err: unknown) => err,
    );
    // Kill the server as soon as S3 reports the multipart upload in progress.
    let seenUpload = false;
    for (let i = 0; i < 400 && !seenUpload; i++) {
      const uploads: unknown[] = [];
      for await (const upload of raw.listIncompleteUploads(bucket, key, true)) uploads.push(upload);
      seenUpload = uploads.length > 0;
      if (!seenUpload) await sleep(10);
    }
    expect(seenUpload).toBe(true);
    await server.kill();
    const outcome = await put;
    expect(outcome).toBeInstanceOf(StoreUnavailableError);

    await server.start();
    await expectIntactAfterRestart();
  });
});
