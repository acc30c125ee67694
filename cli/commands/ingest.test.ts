import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../output.ts';
import { DEMO_DATA, parseLimit, parseSplit, parseTenants, parseUpload } from './ingest.ts';

const run = promisify(execFile);
const BIN = new URL('../../bin/dermagan.js', import.meta.url).pathname;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dermagan-cli-ingest-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('flag parsers', () => {
  it('--split: a fraction in (0, 1) or "none"', () => {
    expect(parseSplit('0.8')).toBe(0.8);
    expect(parseSplit('none')).toBe('none');
    expect(() => parseSplit('1')).toThrow(UserError);
    expect(() => parseSplit('eighty')).toThrow(/--split must be a number/);
  });

  it('--tenants: a count or comma-separated sizes', () => {
    expect(parseTenants('3')).toBe(3);
    expect(parseTenants('2000,12000,20000')).toEqual([2000, 12000, 20000]);
    expect(() => parseTenants('2,,3')).toThrow(UserError);
    expect(() => parseTenants('0')).toThrow(/tenant count/);
  });
});

describe('--upload', () => {
  it('a bucket, or a bucket and a prefix (default dataset/)', () => {
    expect(parseUpload('hospital-a')).toEqual({ bucket: 'hospital-a', prefix: 'dataset/' });
    expect(parseUpload('hospital-a/')).toEqual({ bucket: 'hospital-a', prefix: 'dataset/' });
    expect(parseUpload('hospital-a/datasets/2026')).toEqual({ bucket: 'hospital-a', prefix: 'datasets/2026/' });
  });

  it('a bad bucket name or a prefix leaving its folder is refused with the form to use', () => {
    expect(() => parseUpload('Hospital_A')).toThrow(/--upload "Hospital_A": invalid bucket name.*give BUCKET or BUCKET\/PREFIX/);
    expect(() => parseUpload('hospital-a/../other')).toThrow(/"\.\." segments are not allowed/);
  });
});

describe('--limit', () => {
  it('NAME=VALUE for a known limit, repeatable', () => {
    expect(parseLimit('imagePixels=100', parseLimit('csvBytes=7'))).toEqual({ csvBytes: 7, imagePixels: 100 });
    expect(() => parseLimit('pixels=100')).toThrow(/NAME one of imagePixels, imageBytes, csvBytes, csvLineBytes, csvColumns/);
    expect(() => parseLimit('imagePixels=-1')).toThrow(/positive integer/);
  });
});

describe('dermagan ingest (the real command)', () => {
  it('--json: the last stdout line is the result; progress goes to stderr', async () => {
    const [header, ...rows] = (await readFile(DEMO_DATA, 'utf8')).trim().split('\n');
    const csv = join(root, 'few.csv');
    await writeFile(csv, `${header}\n${rows.slice(0, 10).join('\n')}\nNOFILE,P,nevus,0,HAM10000\n`);
    const out = join(root, 'ds');
    const { stdout, stderr } = await run('node', [BIN, 'ingest', '--data', csv, '--images', join(DEMO_DATA, '..'), '--out', out, '--size', '8', '--split', 'none', '--tenants', '2', '--json']);
    const last = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(last).toMatchObject({
      accepted: 10,
      quarantined: [{ id: 'NOFILE', reason: 'missing-file' }],
      out,
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      counts: { split: { all: 10 }, tenant: { 'tenant-0': 5, 'tenant-1': 5 } },
    });
    expect(stderr).toMatch(/ingest: 11\/11/);
  });

  it('a too-large image under a lowered --limit is quarantined as too-large, with the limit named', async () => {
    const [header, ...rows] = (await readFile(DEMO_DATA, 'utf8')).trim().split('\n');
    const csv = join(root, 'two.csv');
    await writeFile(csv, `${header}\n${rows.slice(0, 2).join('\n')}\n`);
    const { stdout } = await run('node', [BIN, 'ingest', '--data', csv, '--images', join(DEMO_DATA, '..'), '--out', join(root, 'limited'), '--size', '8', '--split', 'none', '--limit', 'imagePixels=1000', '--json']);
    const last = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(last.accepted).toBe(0);
    expect(last.quarantined.map((q: { reason: string }) => q.reason)).toEqual(['too-large', 'too-large']);
  });

  it('--upload without S3 settings exits 2 before reading any image', async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DERMAGAN_S3_')));
    const out = join(root, 'not-uploaded');
    const err = await run('node', [BIN, 'ingest', '--out', out, '--size', '8', '--upload', 'hospital-a'], { env }).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr).toMatch(/the S3 store needs DERMAGAN_S3_ENDPOINT/);
    await expect(readFile(join(out, 'manifest.json'))).rejects.toThrow(/ENOENT/);
  });

  it('a missing CSV: one clear message on stderr, exit code 2, no stack trace', async () => {
    const err = await run('node', [BIN, 'ingest', '--data', join(root, 'nope.csv'), '--out', join(root, 'x')]).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr).toMatch(/^dermagan: --data .*nope\.csv does not exist; give a metadata CSV/);
    expect((err as { stderr: string }).stderr).not.toMatch(/\n\s+at /);
  });
});
