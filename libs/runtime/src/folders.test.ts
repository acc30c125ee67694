import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalStore } from '@dermagan/store';
import { readdirSync } from 'node:fs';
import { FolderCache, publishFolder } from './folders.ts';

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'folder-'));
  mkdirSync(join(dir, 'shards'));
  writeFileSync(join(dir, 'shards', 'a.npy'), 'AAAA');
  writeFileSync(join(dir, 'shards', 'b.npy'), 'BB');
  writeFileSync(join(dir, 'manifest.json'), '{"files":["shards/a.npy","shards/b.npy"]}');
  return dir;
}

describe('folders', () => {
  it('publishes a folder (manifest last) and fetches an identical copy once', async () => {
    const store = new LocalStore({ root: mkdtempSync(join(tmpdir(), 'store-')) });
    const ref = await publishFolder(store, folder(), { bucket: 'bkt', prefix: 'datasets/x' }, 'manifest.json');
    expect(ref.prefix).toBe('datasets/x/');
    expect(ref.manifest.key).toBe('datasets/x/manifest.json');
    const cache = new FolderCache(store, mkdtempSync(join(tmpdir(), 'cache-')));
    const local = await cache.fetch(ref);
    expect(readdirSync(local, { recursive: true }).map(String).sort()).toEqual(['.complete', 'manifest.json', 'shards', 'shards/a.npy', 'shards/b.npy']);
    expect(readFileSync(join(local, 'shards', 'a.npy'), 'utf8')).toBe('AAAA');
    // A second fetch reuses the copy (even when the store is gone).
    await store.delete('bkt', 'datasets/x/shards/a.npy');
    expect(await cache.fetch(ref)).toBe(local);
  });

  it('fetches of one folder at once, by one cache or by two on the same root, all get the same complete copy', async () => {
    const store = new LocalStore({ root: mkdtempSync(join(tmpdir(), 'store-')) });
    const ref = await publishFolder(store, folder(), { bucket: 'bkt', prefix: 'datasets/x' }, 'manifest.json');
    const root = mkdtempSync(join(tmpdir(), 'cache-'));
    const one = new FolderCache(store, root);
    const two = new FolderCache(store, root);
    const paths = await Promise.all([one.fetch(ref), one.fetch(ref), two.fetch(ref), two.fetch(ref)]);
    expect(new Set(paths).size).toBe(1);
    expect(readFileSync(join(paths[0]!, 'shards', 'a.npy'), 'utf8')).toBe('AAAA');
    expect(readdirSync(root)).toEqual([ref.manifest.sha256]); // no partial copies left
  });

  it('refuses a folder whose manifest changed since it was announced', async () => {
    const store = new LocalStore({ root: mkdtempSync(join(tmpdir(), 'store-')) });
    const ref = await publishFolder(store, folder(), { bucket: 'bkt', prefix: 'datasets/x/' }, 'manifest.json');
    await store.put('bkt', 'datasets/x/manifest.json', '{"files":[]}');
    const cache = new FolderCache(store, mkdtempSync(join(tmpdir(), 'cache-')));
    await expect(cache.fetch(ref)).rejects.toThrow(/has changed or is gone since it was announced/);
  });

  it('refuses to announce a folder whose file does not have the expected hash', async () => {
    const store = new LocalStore({ root: mkdtempSync(join(tmpdir(), 'store-')) });
    const expected = new Map([['shards/a.npy', '0'.repeat(64)]]);
    await expect(publishFolder(store, folder(), { bucket: 'bkt', prefix: 'p' }, 'manifest.json', expected)).rejects.toThrow(/does not hash to the expected/);
  });
});
