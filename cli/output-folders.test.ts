/**
 * Every command that writes an output folder or file refuses one it cannot prove it wrote: exit 2,
 * a message that says what to do, and the folder byte for byte as it was. (Issue 15, item 1: ingest
 * deleted a web app's folder because it held a manifest.json; generate overwrote it.)
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dermagan } from './testing.ts';

let root: string;
const at = (name: string) => join(root, name);

/** A folder that is not ours but holds files with the names our commands write. */
const FOREIGN: Record<string, string> = {
  'manifest.json': '{"name":"my web app","start_url":"/"}',
  'index.html': '<!doctype html><title>mine</title>',
  'run.json': '{"mine":true}',
  'federation.json': '{"mine":true}',
  'results.json': '{"mine":true}',
  'report.html': '<p>my report</p>',
  'checkpoint/notes.txt': 'my notes',
  'shards/shard-00000.npy': 'not an array',
  'work/draft.txt': 'my draft',
};

async function foreignFolder(name: string): Promise<string> {
  const dir = at(name);
  for (const [file, text] of Object.entries(FOREIGN)) {
    await mkdir(join(dir, file, '..'), { recursive: true });
    await writeFile(join(dir, file), text);
  }
  return dir;
}

/** Every file under `dir` with its content, to compare before and after. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const names = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));
  return Object.fromEntries(await Promise.all(names.sort().map(async (n) => [n, await readFile(n, 'utf8')] as const)));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dermagan-output-folders-'));
  const ingested = await dermagan('ingest', '--out', at('demo'), '--size', '8', '--split', 'none', '--tenants', '3', '--json');
  expect(ingested.code, ingested.stderr).toBe(0);
}, 120_000);
afterAll(() => rm(root, { recursive: true, force: true }));

describe('a folder that is not a dermagan output is never replaced or written into', () => {
  it.each([
    ['ingest', (out: string) => ['ingest', '--out', out, '--size', '8', '--split', 'none']],
    ['generate', (out: string) => ['generate', '--ckpt', at('no-checkpoint'), '--n', '1', '--out', out]],
    ['train', (out: string) => ['train', '--data', at('demo'), '--res', '16', '--kimg', '0.004', '--cfg', 'test', '--out', out]],
    ['federate', (out: string) => ['federate', '--data', at('demo'), '--rounds', '1', '--k', '1', '--cfg', 'test', '--out', out]],
    ['classifier train', (out: string) => ['classifier', 'train', '--data', at('demo'), '--epochs', '1', '--out', out]],
    ['study', (out: string) => ['study', '--preset', 'smoke', '--out', out]],
    ['explain run', (out: string) => ['explain', 'run', '--classifier', at('no-classifier'), '--data', at('demo'), '--out', out]],
  ])('%s --out FOLDER: exit 2, every file as it was', async (name, args) => {
    const out = await foreignFolder(`foreign-${name.replace(' ', '-')}`);
    const before = await snapshot(out);
    const r = await dermagan(...args(out));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/is not a dermagan .* \(it holds .*\); choose a new or empty folder/);
    expect(await snapshot(out)).toEqual(before);
    expect(await readdir(join(out, '..'))).not.toContainEqual(expect.stringMatching(/partial|\.old-|\.tmp-/));
  }, 60_000);

  it('ingest replaces only a folder that holds a dataset and nothing else', async () => {
    const args = (out: string) => ['ingest', '--out', out, '--size', '8', '--split', 'none'];
    expect((await dermagan(...args(at('ds')))).code).toBe(0);
    expect((await dermagan(...args(at('ds')))).code).toBe(0); // a previous dataset is replaced
    await writeFile(join(at('ds'), 'thesis.tex'), 'precious');
    const r = await dermagan(...args(at('ds')));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/thesis\.tex/);
    expect(await readFile(join(at('ds'), 'thesis.tex'), 'utf8')).toBe('precious');
  }, 60_000);

  it.each([
    ['classifier eval --predictions', 'csv', (file: string) => ['classifier', 'eval', '--model', at('no-model'), '--data', at('demo'), '--predictions', file]],
    ['classifier embed --out', 'npy', (file: string) => ['classifier', 'embed', '--model', at('no-model'), '--data', at('demo'), '--out', file]],
    ['metrics --save-real-stats', 'json', (file: string) => ['metrics', '--real', at('no.npy'), '--fake', at('no.npy'), '--save-real-stats', file]],
  ])('%s FILE that exists: exit 2, the file as it was', async (name, ext, args) => {
    const file = at(`mine-${name.replace(/\W+/g, '-')}.${ext}`);
    await writeFile(file, 'precious');
    const r = await dermagan(...args(file));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/already exists; dermagan does not overwrite a file it cannot prove it wrote/);
    expect(await readFile(file, 'utf8')).toBe('precious');
  }, 60_000);
});
