import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from './errors.ts';
import { S3Store } from './s3-store.ts';

/**
 * S3Store behaviour that needs no S3 server: construction checks, and what happens when nothing
 * (or something silent) listens at the endpoint. Everything else runs against real MinIO in
 * tests/store-s3.test.ts.
 */
const keys = { accessKey: 'ak', secretKey: 'sk-secret' };
const fast = { attempts: 2, initialDelayMs: 10, maxDelayMs: 10 };

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

describe('S3Store construction', () => {
  it.each([
    [{ endpoint: 'localhost:9000', ...keys }, /endpoint must start with http/],
    [{ endpoint: 'http://h:9000/bucket', ...keys }, /server address only/],
    [{ endpoint: 'http://h:9000', accessKey: '', secretKey: 's' }, /accessKey is required/],
    [{ endpoint: 'http://h:9000', ...keys, partSize: 1024 }, /partSize must be an integer >= 5 MiB/],
  ])('rejects %j', (options, message) => {
    expect(() => new S3Store(options)).toThrow(message);
  });
});

describe('S3Store without a server', () => {
  let closedPort: number;
  let silent: Server;
  let silentPort: number;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    const probe = createServer();
    closedPort = await listen(probe);
    await new Promise((resolve) => probe.close(resolve));
    // Accepts connections and never answers: a hung server.
    silent = createServer((socket) => sockets.push(socket));
    silentPort = await listen(silent);
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('nothing listening: retries, then StoreUnavailableError naming the endpoint and ECONNREFUSED', async () => {
    const store = new S3Store({ endpoint: `http://127.0.0.1:${closedPort}`, ...keys, retry: fast });
    const err = await store.put('bucket', 'k', 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err).toMatchObject({ retriable: true, attempts: 2, storeUrl: `http://127.0.0.1:${closedPort}`, operation: 'put bucket/k' });
    expect((err as Error).message).toContain(`artifact store at http://127.0.0.1:${closedPort} is unavailable`);
    expect((err as Error).message).toContain('ECONNREFUSED');
    expect(await store.ping()).toBe(false);
  });

  it('a server that never answers: each attempt times out, then StoreUnavailableError', async () => {
    const store = new S3Store({ endpoint: `http://127.0.0.1:${silentPort}`, ...keys, retry: fast, idleTimeoutMs: 150 });
    const started = Date.now();
    const err = await store.get('bucket', 'k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err).toMatchObject({ attempts: 2 });
    expect((err as Error).message).toContain('ETIMEDOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });
});
