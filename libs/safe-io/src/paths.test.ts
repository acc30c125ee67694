import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnsafePathError, isInside, realPathInside, relativeSegments, safeJoin, safeResolveUrl } from './paths.ts';

describe('relativeSegments / safeJoin', () => {
  it('accepts relative paths below the folder', () => {
    expect(relativeSegments('shards/shard-00000.npy', 'm')).toEqual(['shards', 'shard-00000.npy']);
    expect(relativeSegments('./weights.bin', 'm')).toEqual(['weights.bin']);
    expect(relativeSegments('a//b/./c', 'm')).toEqual(['a', 'b', 'c']);
    expect(safeJoin('/data/ds', 'shards/x.npy', 'm')).toBe('/data/ds/shards/x.npy');
  });

  it.each([
    ['../outside.npy', /climbs out with "\.\."/],
    ['shards/../../etc/passwd', /climbs out/],
    ['/etc/passwd', /is absolute/],
    ['C:/Windows/x', /scheme or drive/],
    ['file:///etc/passwd', /scheme or drive/],
    ['https://evil.example/w.bin', /scheme or drive/],
    ['..\\x', /only "\/" separates folders/],
    ['a\0b', /NUL/],
    ['', /is empty/],
    ['./', /names the folder itself/],
  ])('refuses %j', (path, why) => {
    expect(() => relativeSegments(path, 'manifest.json shard 0')).toThrow(UnsafePathError);
    expect(() => relativeSegments(path, 'manifest.json shard 0')).toThrow(why);
  });

  it('resolves URLs beside the file, each segment encoded', () => {
    expect(safeResolveUrl('https://h/models/incep/model.json', 'group1-shard1of2.bin', 'w')).toBe('https://h/models/incep/group1-shard1of2.bin');
    expect(safeResolveUrl('file:///m/model.json', 'sub/a#b?.bin', 'w')).toBe('file:///m/sub/a%23b%3F.bin');
    expect(() => safeResolveUrl('https://h/m/model.json', '//evil.example/x', 'w')).toThrow(/is absolute/);
  });

  it('isInside', () => {
    expect(isInside('/a/b', '/a/b')).toBe(true);
    expect(isInside('/a/b', '/a/b/c')).toBe(true);
    expect(isInside('/a/b', '/a/bc')).toBe(false);
    expect(isInside('/a/b', '/a')).toBe(false);
    expect(isInside('/a/b', '/a/b/..foo')).toBe(true);
  });
});

describe('realPathInside', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'safe-io-links-'));
    await mkdir(join(root, 'src', 'sub'), { recursive: true });
    await writeFile(join(root, 'src', 'sub', 'in.jpg'), 'x');
    await writeFile(join(root, 'secret.jpg'), 'x');
    await symlink(join(root, 'src', 'sub', 'in.jpg'), join(root, 'src', 'inside.jpg'));
    await symlink(join(root, 'secret.jpg'), join(root, 'src', 'outside.jpg'));
    await symlink('../secret.jpg', join(root, 'src', 'relative-out.jpg'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('follows links that stay inside, not those that leave', async () => {
    expect(await realPathInside(join(root, 'src'), join(root, 'src', 'inside.jpg'))).toMatch(/src\/sub\/in\.jpg$/);
    expect(await realPathInside(join(root, 'src'), join(root, 'src', 'outside.jpg'))).toBeNull();
    expect(await realPathInside(join(root, 'src'), join(root, 'src', 'relative-out.jpg'))).toBeNull();
  });
});
