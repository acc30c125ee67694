import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError } from './errors.ts';
import { LocalStore } from './local-store.ts';
import { getRefBytes } from './ref.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'store-ref-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('getRefBytes', () => {
  it('returns the bytes a reference names, and refuses an object replaced since the reference was made', async () => {
    const store = new LocalStore({ root });
    await store.ensureBucket('fl-bucket');
    const ref = await store.put('fl-bucket', 'global/round-1.dgw', 'the global model');
    expect((await getRefBytes(store, ref)).toString()).toBe('the global model');
    await store.put('fl-bucket', 'global/round-1.dgw', 'a poisoned model'); // a valid write: the store itself is content
    expect((await store.getBytes('fl-bucket', 'global/round-1.dgw')).toString()).toBe('a poisoned model');
    const err = await getRefBytes(store, ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as IntegrityError).retriable).toBe(false);
    expect((err as Error).message).toMatch(/global\/round-1\.dgw.*not the one its reference names/);
  });
});
