import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { IntegrityError, InvalidKeyError, NotFoundError, ObjectExistsError } from '../errors.ts';
import type { ObjectStore } from '../store.ts';
import { MemoryProbe } from './memory-probe.ts';

/** One adapter as the contract suite needs it. */
export interface StoreUnderTest {
  /** The adapter under test. */
  store: ObjectStore;
  /**
   * Change the stored bytes of `bucket/key` behind the store's back, keeping the sha256 the store
   * recorded at write time (flip a byte in a file; overwrite an S3 object with the old metadata).
   */
  tamper(bucket: string, key: string): Promise<void>;
}

const MiB = 1024 * 1024;
/** Size of the object that must stream (large enough that buffering it whole shows). */
const LARGE_BYTES = 48 * MiB;
/** Live buffer bytes a streaming put or get may hold at once (well under LARGE_BYTES). */
const STREAMING_BUDGET = 24 * MiB;

/**
 * The behaviour every ObjectStore adapter must have (store.ts), as one vitest suite. Run it from
 * each adapter's test file: `storeContractSuite('local', async () => ({ store, tamper }))`.
 * Every test works in a fresh bucket, so adapters may share one server.
 */
export function storeContractSuite(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let serial = 0;
    const run = randomBytes(3).toString('hex');
    async function fresh(): Promise<StoreUnderTest & { bucket: string }> {
      const subject = await makeStore();
      const bucket = `contract-${run}-${++serial}`;
      await subject.store.ensureBucket(bucket);
      return { ...subject, bucket };
    }

    describe('put and get', () => {
      it('round-trips bytes and returns their sha256 and size', async () => {
        const { store, bucket } = await fresh();
        const bytes = randomBytes(1000);
        const ref = await store.put(bucket, 'a/b/c.bin', bytes);
        expect(ref).toEqual({ bucket, key: 'a/b/c.bin', sha256: sha256(bytes), size: 1000, contentType: 'application/octet-stream' });
        expect(Buffer.compare(await store.getBytes(bucket, 'a/b/c.bin'), bytes)).toBe(0);
      });

      it('round-trips a string and keeps the content type', async () => {
        const { store, bucket } = await fresh();
        const ref = await store.put(bucket, 'manifest.json', '{"ok":true}', { contentType: 'application/json' });
        expect(ref).toEqual({ bucket, key: 'manifest.json', sha256: sha256('{"ok":true}'), size: 11, contentType: 'application/json' });
        expect((await store.getBytes(bucket, 'manifest.json')).toString('utf8')).toBe('{"ok":true}');
        expect(await store.stat(bucket, 'manifest.json')).toEqual(ref);
      });

      it('round-trips an empty object', async () => {
        const { store, bucket } = await fresh();
        const ref = await store.put(bucket, 'empty', new Uint8Array(0));
        expect(ref.size).toBe(0);
        expect(ref.sha256).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
        expect((await store.getBytes(bucket, 'empty')).length).toBe(0);
      });

      it('puts a stream of many chunks and gets it back as a stream', async () => {
        const { store, bucket } = await fresh();
        const chunks = Array.from({ length: 50 }, (_, i) => Buffer.alloc(1000 + i, i));
        const whole = Buffer.concat(chunks);
        const ref = await store.put(bucket, 'chunks.bin', Readable.from(chunks));
        expect(ref).toEqual({ bucket, key: 'chunks.bin', sha256: sha256(whole), size: whole.length, contentType: 'application/octet-stream' });
        const stream = await store.get(bucket, 'chunks.bin');
        const back: Buffer[] = [];
        for await (const chunk of stream) back.push(chunk as Buffer);
        expect(Buffer.compare(Buffer.concat(back), whole)).toBe(0);
      });

      it('overwrites: a second put replaces the object', async () => {
        const { store, bucket } = await fresh();
        await store.put(bucket, 'k', 'first version');
        const second = await store.put(bucket, 'k', 'second');
        expect((await store.getBytes(bucket, 'k')).toString()).toBe('second');
        expect(await store.stat(bucket, 'k')).toEqual(second);
      });

      it(`streams a ${LARGE_BYTES / MiB} MiB object in and out holding < ${STREAMING_BUDGET / MiB} MiB of buffers`, async () => {
        const { store, bucket } = await fresh();
        const source = patternStream(LARGE_BYTES, MiB);
        const putProbe = new MemoryProbe();
        source.onChunk = (index) => index % 4 === 0 && putProbe.sample();
        // Sampled as the source is read and on a timer, so work after the last read counts too.
        const ref = await putProbe.during(store.put(bucket, 'large.bin', source.stream));
        expect(ref).toEqual({ bucket, key: 'large.bin', sha256: source.sha256(), size: LARGE_BYTES, contentType: 'application/octet-stream' });
        expect(putProbe.peakAboveBaseline).toBeLessThan(STREAMING_BUDGET);

        const getProbe = new MemoryProbe();
        const hash = createHash('sha256');
        let size = 0;
        let sampledAt = 0;
        for await (const chunk of await store.get(bucket, 'large.bin')) {
          hash.update(chunk as Buffer);
          size += (chunk as Buffer).length;
          if (size - sampledAt >= 4 * MiB) {
            getProbe.sample();
            sampledAt = size;
          }
        }
        expect(size).toBe(LARGE_BYTES);
        expect(hash.digest('hex')).toBe(source.sha256());
        expect(getProbe.peakAboveBaseline).toBeLessThan(STREAMING_BUDGET);
      });
    });

    describe('integrity', () => {
      it('accepts a put whose bytes hash to expectedSha256', async () => {
        const { store, bucket } = await fresh();
        const ref = await store.put(bucket, 'k', 'payload', { expectedSha256: sha256('payload') });
        expect(ref.sha256).toBe(sha256('payload'));
      });

      it('rejects a put whose bytes do not hash to expectedSha256 and leaves nothing visible', async () => {
        const { store, bucket } = await fresh();
        const err = await store.put(bucket, 'new/k', Readable.from([Buffer.from('payload')]), { expectedSha256: sha256('other') }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(IntegrityError);
        expect(err).toMatchObject({ retriable: false, bucket, key: 'new/k', expectedSha256: sha256('other'), actualSha256: sha256('payload') });
        expect(await store.stat(bucket, 'new/k')).toBeNull();
        expect(await store.list(bucket)).toEqual([]);
        await expect(store.get(bucket, 'new/k')).rejects.toBeInstanceOf(NotFoundError);
      });

      it('keeps the previous version intact when an overwrite fails its expectedSha256', async () => {
        const { store, bucket } = await fresh();
        const old = await store.put(bucket, 'k', 'old bytes');
        await expect(store.put(bucket, 'k', 'new bytes', { expectedSha256: sha256('nope') })).rejects.toBeInstanceOf(IntegrityError);
        expect(await store.stat(bucket, 'k')).toEqual(old);
        expect((await store.getBytes(bucket, 'k')).toString()).toBe('old bytes');
      });

      it('detects bytes changed behind its back: getBytes rejects and the stream errors', async () => {
        const { store, bucket, tamper } = await fresh();
        const bytes = randomBytes(5000);
        const ref = await store.put(bucket, 'victim.bin', bytes);
        await tamper(bucket, 'victim.bin');
        const err = await store.getBytes(bucket, 'victim.bin').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(IntegrityError);
        expect(err).toMatchObject({ retriable: false, bucket, key: 'victim.bin', expectedSha256: ref.sha256 });
        expect((err as Error).message).toContain(`${bucket}/victim.bin`);

        const stream = await store.get(bucket, 'victim.bin').catch((e: unknown) => e);
        // An adapter may refuse at open (when it can tell early) or error the stream at its end.
        if (stream instanceof Readable) {
          await expect(drain(stream)).rejects.toBeInstanceOf(IntegrityError);
        } else {
          expect(stream).toBeInstanceOf(IntegrityError);
        }
      });

      it('fails a put whose source stream errors and leaves nothing visible', async () => {
        const { store, bucket } = await fresh();
        const failing = new Readable({ read() {} });
        failing.push(Buffer.alloc(4096, 1));
        setImmediate(() => failing.destroy(new Error('source broke')));
        await expect(store.put(bucket, 'broken', failing)).rejects.toThrow('source broke');
        expect(await store.stat(bucket, 'broken')).toBeNull();
        expect(await store.list(bucket)).toEqual([]);
      });
    });

    describe('atomic put', () => {
      it('a reader during a slow put of a new key sees no object, never a partial one', async () => {
        const { store, bucket } = await fresh();
        const chunks = Array.from({ length: 10 }, (_, i) => Buffer.alloc(64 * 1024, i + 1));
        const whole = Buffer.concat(chunks);
        const seen = await readWhilePutting(store, bucket, 'slow.bin', slowStream(chunks, 25));
        expect(seen.reads).toBeGreaterThan(2);
        for (const outcome of seen.outcomes) expect(outcome === 'missing' || outcome === sha256(whole)).toBe(true);
        expect(sha256(await store.getBytes(bucket, 'slow.bin'))).toBe(sha256(whole));
      });

      it('a reader during a slow overwrite sees the old object or the new one, never a mix', async () => {
        const { store, bucket } = await fresh();
        const old = randomBytes(100 * 1024);
        await store.put(bucket, 'slow.bin', old);
        const chunks = Array.from({ length: 10 }, (_, i) => Buffer.alloc(64 * 1024, i + 1));
        const whole = Buffer.concat(chunks);
        const seen = await readWhilePutting(store, bucket, 'slow.bin', slowStream(chunks, 25));
        expect(seen.reads).toBeGreaterThan(2);
        for (const outcome of seen.outcomes) expect([sha256(old), sha256(whole)]).toContain(outcome);
        expect(seen.outcomes[0]).toBe(sha256(old));
        expect(sha256(await store.getBytes(bucket, 'slow.bin'))).toBe(sha256(whole));
      });
    });

    describe('concurrent writers', () => {
      it('concurrent puts of one key end with one whole version, whose recorded sha256 matches its bytes', async () => {
        const { store, bucket } = await fresh();
        const versions = Array.from({ length: 8 }, (_, i) => Buffer.alloc(20_000 + i * 1000, i + 1));
        const refs = await Promise.all(versions.map((bytes) => store.put(bucket, 'contended', Readable.from([bytes]))));
        const final = await store.getBytes(bucket, 'contended');
        expect(versions.map((v) => sha256(v))).toContain(sha256(final));
        const stat = await store.stat(bucket, 'contended');
        expect(stat?.sha256).toBe(sha256(final));
        expect(refs.map((r) => r.sha256)).toContain(stat?.sha256);
      });
    });

    describe('put if absent', () => {
      it('writes a new key, and refuses an existing one with ObjectExistsError leaving its bytes', async () => {
        const { store, bucket } = await fresh();
        const ref = await store.put(bucket, 'lease', 'first', { ifAbsent: true });
        expect(ref.sha256).toBe(sha256(Buffer.from('first')));
        const refused = await store.put(bucket, 'lease', 'second', { ifAbsent: true }).catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(ObjectExistsError);
        expect((refused as ObjectExistsError).retriable).toBe(false);
        expect((refused as Error).message).toMatch(/"contract-[^"]+\/lease" already exists/);
        expect((await store.getBytes(bucket, 'lease')).toString()).toBe('first');
        await store.delete(bucket, 'lease');
        await store.put(bucket, 'lease', 'third', { ifAbsent: true });
        expect((await store.getBytes(bucket, 'lease')).toString()).toBe('third');
      });

      it('of 8 puts racing for one new key, exactly one wins and its bytes are stored', async () => {
        const { store, bucket } = await fresh();
        const tries = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.put(bucket, 'race', `writer ${i}`, { ifAbsent: true })));
        const won = tries.flatMap((t, i) => (t.status === 'fulfilled' ? [i] : []));
        expect(won).toHaveLength(1);
        for (const t of tries) if (t.status === 'rejected') expect(t.reason).toBeInstanceOf(ObjectExistsError);
        expect((await store.getBytes(bucket, 'race')).toString()).toBe(`writer ${won[0]}`);
      });
    });

    describe('list, stat, delete', () => {
      it('lists keys under a prefix, sorted', async () => {
        const { store, bucket } = await fresh();
        for (const key of ['b/2.npy', 'a.json', 'b/1.npy', 'b/c/3.npy', 'bz', 'c']) await store.put(bucket, key, key);
        expect(await store.list(bucket)).toEqual(['a.json', 'b/1.npy', 'b/2.npy', 'b/c/3.npy', 'bz', 'c']);
        expect(await store.list(bucket, 'b/')).toEqual(['b/1.npy', 'b/2.npy', 'b/c/3.npy']);
        expect(await store.list(bucket, 'b')).toEqual(['b/1.npy', 'b/2.npy', 'b/c/3.npy', 'bz']);
        expect(await store.list(bucket, 'b/c/')).toEqual(['b/c/3.npy']);
        expect(await store.list(bucket, 'nothing/')).toEqual([]);
      });

      it('stats an object as its put returned it, and null when absent', async () => {
        const { store, bucket } = await fresh();
        const ref = await store.put(bucket, 'x/y.npy', randomBytes(300), { contentType: 'application/x-npy' });
        expect(await store.stat(bucket, 'x/y.npy')).toEqual(ref);
        expect(await store.stat(bucket, 'x/absent.npy')).toBeNull();
      });

      it('deletes an object; deleting an absent one is not an error', async () => {
        const { store, bucket } = await fresh();
        await store.put(bucket, 'd/one', '1');
        await store.put(bucket, 'd/two', '2');
        await store.delete(bucket, 'd/one');
        expect(await store.stat(bucket, 'd/one')).toBeNull();
        expect(await store.list(bucket)).toEqual(['d/two']);
        await store.delete(bucket, 'd/one');
        await store.delete(bucket, 'never/was');
        await store.delete(bucket, 'd/two');
        expect(await store.list(bucket)).toEqual([]);
        // A key equal to a former "folder" is usable once that folder is empty.
        await store.put(bucket, 'd', 'now a file');
        expect((await store.getBytes(bucket, 'd')).toString()).toBe('now a file');
      });
    });

    describe('errors', () => {
      it('a missing object is NotFoundError naming bucket and key', async () => {
        const { store, bucket } = await fresh();
        const err = await store.get(bucket, 'no/such.key').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(NotFoundError);
        expect(err).toMatchObject({ retriable: false, bucket, key: 'no/such.key' });
        expect((err as Error).message).toContain(`${bucket}/no/such.key`);
        await expect(store.getBytes(bucket, 'no/such.key')).rejects.toBeInstanceOf(NotFoundError);
      });

      it('a missing bucket is NotFoundError naming the bucket, for put, get and list', async () => {
        const { store } = await fresh();
        const missing = `absent-${randomBytes(4).toString('hex')}`;
        for (const call of [() => store.put(missing, 'k', 'x'), () => store.get(missing, 'k'), () => store.list(missing)]) {
          const err = await call().catch((e: unknown) => e);
          expect(err).toBeInstanceOf(NotFoundError);
          expect((err as NotFoundError).bucket).toBe(missing);
          expect((err as Error).message).toContain(missing);
        }
        expect(await store.stat(missing, 'k')).toBeNull();
      });

      it.each(['', '/abs/key', '../escape', 'a/../../b', 'a//b', 'a/./b', 'trailing/', 'back\\slash'])('rejects the key %j', async (key) => {
        const { store, bucket } = await fresh();
        await expect(store.put(bucket, key, 'x')).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(store.get(bucket, key)).rejects.toBeInstanceOf(InvalidKeyError);
      });

      it.each(['Upper', 'a', 'under_score', '-dash', '../up'])('rejects the bucket name %j', async (bucket) => {
        const { store } = await fresh();
        await expect(store.ensureBucket(bucket)).rejects.toBeInstanceOf(InvalidKeyError);
        await expect(store.put(bucket, 'k', 'x')).rejects.toBeInstanceOf(InvalidKeyError);
      });

      it('ensureBucket is idempotent and ping answers', async () => {
        const { store, bucket } = await fresh();
        await store.put(bucket, 'keep', 'me');
        await store.ensureBucket(bucket);
        await store.ensureBucket(bucket);
        expect((await store.getBytes(bucket, 'keep')).toString()).toBe('me');
        expect(await store.ping()).toBe(true);
      });
    });
  });
}

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function drain(stream: Readable): Promise<void> {
  for await (const _chunk of stream);
}

/** A lazily generated stream of `total` bytes in `chunk`-byte pieces, hashed as it is made. */
function patternStream(total: number, chunk: number) {
  const hash = createHash('sha256');
  const state = { onChunk: (_index: number): unknown => undefined };
  let index = 0;
  const stream = new Readable({
    read() {
      if (index * chunk >= total) return void this.push(null);
      const piece = Buffer.alloc(Math.min(chunk, total - index * chunk));
      for (let i = 0; i < piece.length; i += 4096) piece[i] = (index * 7 + i / 4096) & 0xff;
      hash.update(piece);
      state.onChunk(index++);
      this.push(piece);
    },
  });
  let digest: string | undefined;
  return {
    stream,
    set onChunk(fn: (index: number) => unknown) {
      state.onChunk = fn;
    },
    sha256: () => (digest ??= hash.digest('hex')),
  };
}

/** A stream that yields `chunks` with `delayMs` between them. */
function slowStream(chunks: Buffer[], delayMs: number): Readable {
  return Readable.from(
    (async function* () {
      for (const chunk of chunks) {
        await sleep(delayMs);
        yield chunk;
      }
    })(),
    { objectMode: false },
  );
}

/** Runs the put and, until it resolves, reads the key in a loop; returns the sha256 of every read. */
async function readWhilePutting(store: ObjectStore, bucket: string, key: string, body: Readable) {
  let done = false;
  const put = store.put(bucket, key, body).finally(() => {
    done = true;
  });
  const outcomes: string[] = [];
  while (!done) {
    try {
      outcomes.push(sha256(await store.getBytes(bucket, key)));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      outcomes.push('missing');
    }
    await sleep(5);
  }
  await put;
  return { reads: outcomes.length, outcomes };
}
