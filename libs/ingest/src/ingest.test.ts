import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '@dermagan/dataset';
import { OutputRefusedError } from '@dermagan/safe-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestError } from './errors.ts';
import { ingest, type IngestProgress } from './ingest.ts';
import { preprocessFile } from './preprocess.ts';
import { cmykJpeg, greyPng, jpeg, png, tiff, truncatedJpeg } from './testing/images.ts';

const DEMO = new URL('../../../data/demo/', import.meta.url).pathname;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dermagan-ingest-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** The first `n` demo rows as their own metadata.csv (images stay in data/demo, passed as `images`). */
async function demoSubset(n: number): Promise<string> {
  const [header, ...rows] = (await readFile(join(DEMO, 'metadata.csv'), 'utf8')).trim().split('\n');
  const path = join(root, `demo-${n}.csv`);
  await writeFile(path, `${header}\n${rows.slice(0, n).join('\n')}\n`);
  return path;
}

describe('ingest: 30 demo images at 32 px', () => {
  it('writes a dataset openDataset reads back: pixels as preprocessFile makes them, split and tenants by patient', async () => {
    const csv = await demoSubset(30);
    const out = join(root, 'demo30');
    const progress: IngestProgress[] = [];
    const result = await ingest({ data: csv, images: DEMO, out, size: 32, split: 0.8, seed: 1, tenants: 2, shardSize: 16 }, (p) => progress.push(p));

    expect(result.accepted).toBe(30);
    expect(result.quarantined).toEqual([]);
    expect(result.outDir).toBe(out);
    expect(progress.at(-1)).toEqual({ phase: 'done', done: 30, total: 30, accepted: 30, quarantined: 0 });

    const ds = await openDataset(out);
    expect(ds.manifest).toEqual(result.manifest);
    expect(ds.size).toBe(32);
    expect(ds.pixels).toHaveLength(30 * 32 * 32 * 3);
    expect(ds.manifest.shards.map((s) => s.count)).toEqual([16, 14]);
    expect(ds.manifest.source).toEqual({ kind: 'derm-sample', path: csv });
    expect(ds.manifest.split).toEqual({ kind: 'patient-grouped', train: 0.8, seed: 1 });
    expect(ds.manifest.tenants).toEqual([{ name: 'tenant-0', requested: null }, { name: 'tenant-1', requested: null }]);

    // Entries follow the CSV; pixels equal preprocessFile's for the same file.
    const rows = (await readFile(csv, 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
    expect(ds.entries.map((e) => e.id)).toEqual(rows.map((r) => r[0]));
    expect(ds.entries.map((e) => e.label)).toEqual(rows.map((r) => Number(r[3])));
    expect(ds.entries.map((e) => e.patient)).toEqual(rows.map((r) => r[1] || r[0]));
    for (const k of [0, 17, 29]) {
      const ref = await preprocessFile(join(DEMO, `${rows[k]![0]}.jpg`), { size: 32, minSide: 32 });
      expect(ref.ok && ref.sha256).toBe(ds.entries[k]!.sha256);
      expect(ref.ok && Buffer.from(ref.pixels).equals(Buffer.from(ds.pixels.subarray(k * 3072, (k + 1) * 3072)))).toBe(true);
    }

    // 24 train / 6 test; test images in no tenant; train shared 12/12.
    expect(result.counts.split).toEqual({ train: 24, test: 6 });
    expect(result.counts.tenant).toEqual({ 'tenant-0': 12, 'tenant-1': 12, none: 6 });
    expect(ds.entries.filter((e) => e.split === 'test').every((e) => e.tenant === null)).toBe(true);
    const sides = new Map<string, Set<string>>();
    for (const e of ds.entries) sides.set(e.patient, (sides.get(e.patient) ?? new Set()).add(`${e.split}/${e.tenant}`));
    for (const s of sides.values()) expect(s.size).toBe(1);
  });

  it('is deterministic: same options → same manifest (but createdAt) and shard bytes, whatever the concurrency', async () => {
    const csv = await demoSubset(30);
    const a = await ingest({ data: csv, images: DEMO, out: join(root, 'det-a'), size: 16, concurrency: 1, tenants: [5, 10] });
    const b = await ingest({ data: csv, images: DEMO, out: join(root, 'det-b'), size: 16, concurrency: 6, tenants: [5, 10] });
    const strip = (m: typeof a.manifest) => ({ ...m, createdAt: '', name: '' });
    expect(strip(b.manifest)).toEqual(strip(a.manifest));
    expect(a.counts.tenant).toEqual({ 'tenant-0': 5, 'tenant-1': 10, none: 15 });
  });

  it('split none: every image is "all"; tenant sizes larger than the data are scaled with a warning', async () => {
    const result = await ingest({ data: await demoSubset(30), images: DEMO, out: join(root, 'none'), size: 8, split: null, tenants: [2000, 12000, 20000] });
    expect(result.counts.split).toEqual({ all: 30 });
    expect(result.manifest.split).toEqual({ kind: 'none' });
    expect(result.warnings.join('\n')).toMatch(/34000 but only 30 .* scaled down proportionally to 2,10,18/);
    expect(result.counts.tenant).toEqual({ 'tenant-0': 2, 'tenant-1': 10, 'tenant-2': 18 });
  });
});

describe('ingest: every kind of bad input is quarantined with its reason, in source order', () => {
  it('accepts the good and converted images, quarantines the rest, never fails the run', async () => {
    const dir = join(root, 'bad');
    await mkdir(dir, { recursive: true });
    const files: Record<string, Buffer | 'dir' | 'demo'> = {
      good: await jpeg(16, 16, 1),
      png: await png(20, 12, 2),
      grey: await greyPng(16, 16, 3),
      cmyk: await cmykJpeg(16, 16, 4),
      truncated: await truncatedJpeg(64, 64),
      text: Buffer.from('this is a text file named .jpg\n'),
      empty: Buffer.alloc(0),
      tiny: await png(4, 4, 5),
      mask: tiff(16, 16, 1, 4),
      folder: 'dir',
      demo: 'demo',
    };
    for (const [id, content] of Object.entries(files)) {
      const ext = id === 'png' || id === 'grey' || id === 'tiny' ? 'png' : id === 'mask' ? 'tif' : 'jpg';
      if (content === 'dir') await mkdir(join(dir, `${id}.${ext}`));
      else if (content === 'demo') await copyFile(join(DEMO, 'ISIC_0024350.jpg'), join(dir, `${id}.jpg`));
      else await writeFile(join(dir, `${id}.${ext}`), content);
    }
    await writeFile(join(dir, 'copy.jpg'), files.good as Buffer);
    const rows = [
      ['good', 'P1', 0], ['png', 'P2', 1], ['grey', 'P3', 0], ['cmyk', 'P4', 1], ['truncated', 'P5', 0],
      ['text', 'P6', 0], ['empty', 'P7', 0], ['tiny', 'P8', 0], ['copy', 'P9', 1], ['absent', 'P10', 0],
      ['nolabel', 'P11', ''], ['mask', 'P12', 0], ['folder', 'P13', 0], ['demo', '', 1],
    ];
    await writeFile(join(dir, 'metadata.csv'), `image_id,patient_id,diagnosis,target\n${rows.map((r) => `${r[0]},${r[1]},x,${r[2]}`).join('\n')}\n`);

    const result = await ingest({ data: join(dir, 'metadata.csv'), out: join(root, 'bad-out'), size: 8, minSide: 8, split: null });
    expect(result.quarantined.map((q) => [q.id, q.reason])).toEqual([
      ['truncated', 'truncated'],
      ['text', 'not-an-image'],
      ['empty', 'empty'],
      ['tiny', 'too-small'],
      ['copy', 'duplicate'],
      ['absent', 'missing-file'],
      ['nolabel', 'missing-label'],
      ['mask', 'unsupported-colour'],
      ['folder', 'unreadable'],
    ]);
    expect(result.quarantined.find((q) => q.id === 'copy')!.detail).toBe('same bytes as good');
    expect(result.accepted).toBe(5);
    const ds = await openDataset(result.outDir);
    expect(ds.entries.map((e) => [e.id, e.patient, e.label])).toEqual([
      ['good', 'P1', 0], ['png', 'P2', 1], ['grey', 'P3', 0], ['cmyk', 'P4', 1], ['demo', 'demo', 1],
    ]);
    expect(ds.manifest.quarantine).toEqual(result.quarantined);
  });
});

describe('ingest: sources and output folder', () => {
  it('ISIC 2020 train.csv with images in jpeg/train: benign/malignant, patients kept on one side', async () => {
    const dir = join(root, 'isic2020');
    await mkdir(join(dir, 'jpeg', 'train'), { recursive: true });
    const rows: string[] = [];
    for (let i = 0; i < 12; i++) {
      await writeFile(join(dir, 'jpeg', 'train', `ISIC_${i}.jpg`), await jpeg(16, 12, 10 + i));
      rows.push(`ISIC_${i},IP_${i % 4},${i % 3 === 0 ? 1 : 0}`);
    }
    await writeFile(join(dir, 'train.csv'), `image_name,patient_id,target\n${rows.join('\n')}\n`);
    const result = await ingest({ data: join(dir, 'train.csv'), out: join(root, 'isic-out'), size: 8, minSide: 8, split: 0.5 });
    expect(result.manifest.source.kind).toBe('isic2020');
    expect(result.manifest.labels).toEqual(['benign', 'malignant']);
    expect(result.counts.label).toEqual({ benign: 8, malignant: 4 });
    const sideOf = new Map<string, string>();
    for (const e of result.manifest.images) {
      expect(sideOf.get(e.patient) ?? e.split).toBe(e.split);
      sideOf.set(e.patient, e.split);
    }
    expect(result.counts.split).toEqual({ train: 6, test: 6 });
  });

  it('HAM10000 metadata with images in the part folders: melanoma vs other, the lesion-id note in warnings', async () => {
    const dir = join(root, 'ham');
    await mkdir(join(dir, 'HAM10000_images_part_1'), { recursive: true });
    await writeFile(join(dir, 'HAM10000_images_part_1', 'ISIC_0000001.jpg'), await jpeg(16, 16, 30));
    await writeFile(join(dir, 'HAM10000_images_part_1', 'ISIC_0000002.jpg'), await jpeg(16, 16, 31));
    await writeFile(join(dir, 'HAM10000_metadata.csv'), 'lesion_id,image_id,dx,dx_type,age,sex,localization\nHAM_1,ISIC_0000001,mel,histo,50,male,back\nHAM_2,ISIC_0000002,nv,histo,50,male,back\n');
    const result = await ingest({ data: join(dir, 'HAM10000_metadata.csv'), out: join(root, 'ham-out'), size: 8, minSide: 8, split: null });
    expect(result.manifest.images.map((e) => [e.id, e.patient, result.manifest.labels[e.label]])).toEqual([
      ['ISIC_0000001', 'HAM_1', 'melanoma'],
      ['ISIC_0000002', 'HAM_2', 'other'],
    ]);
    expect(result.warnings.join('\n')).toMatch(/lesion_id is used as the patient/);
  });

  it('a folder per class', async () => {
    const dir = join(root, 'classes');
    await mkdir(join(dir, 'melanoma'), { recursive: true });
    await mkdir(join(dir, 'nevus'), { recursive: true });
    await writeFile(join(dir, 'melanoma', 'm1.png'), await png(12, 12, 1));
    await writeFile(join(dir, 'nevus', 'n1.png'), await png(12, 12, 2));
    await writeFile(join(dir, 'nevus', 'notes.txt'), 'not an image');
    const result = await ingest({ data: dir, out: join(root, 'classes-out'), size: 8, minSide: 8, split: null });
    expect(result.manifest.labels).toEqual(['melanoma', 'nevus']);
    expect(result.manifest.images.map((e) => [e.id, e.label, e.patient])).toEqual([['melanoma/m1', 0, 'melanoma/m1'], ['nevus/n1', 1, 'nevus/n1']]);
    expect(result.quarantined).toEqual([{ id: 'nevus/notes', reason: 'not-an-image', detail: expect.any(String) }]);
  });

  it('replaces a previous dataset in --out, refuses a folder with other files, leaves no staging folder behind', async () => {
    const csv = await demoSubset(5);
    const out = join(root, 'replace', 'ds');
    await ingest({ data: csv, images: DEMO, out, size: 8, split: null });
    const second = await ingest({ data: csv, images: DEMO, out, size: 16, split: null });
    expect((await openDataset(out)).size).toBe(16);
    expect(second.manifest.size).toBe(16);
    expect(await readdir(join(root, 'replace'))).toEqual(['ds']);

    const other = join(root, 'replace', 'mine');
    await mkdir(other);
    await writeFile(join(other, 'thesis.tex'), 'precious');
    const err = await ingest({ data: csv, images: DEMO, out: other, size: 8 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputRefusedError);
    expect((err as Error).message).toMatch(/mine is not a dermagan dataset \(it holds thesis\.tex, which a dermagan dataset does not\)/);
    expect(await readFile(join(other, 'thesis.tex'), 'utf8')).toBe('precious');
  });

  it('replaces only a dataset and nothing else: a foreign manifest.json, a wrong format, extra files in shards/', async () => {
    const csv = await demoSubset(3);
    const cases: Record<string, Record<string, string>> = {
      webapp: { 'manifest.json': '{"name":"my web app"}', 'index.html': '<p>' },
      'manifest-only': { 'manifest.json': '{"name":"my web app"}' },
      'other-format': { 'manifest.json': '{"format":"dermagan.dataset/v0"}', 'shards/shard-00000.npy': 'x' },
      'shard-extra': { 'manifest.json': '{"format":"dermagan.dataset/v1"}', 'shards/shard-00000.npy': 'x', 'shards/notes.txt': 'mine' },
    };
    for (const [name, files] of Object.entries(cases)) {
      const out = join(root, 'foreign', name);
      for (const [file, text] of Object.entries(files)) {
        await mkdir(join(out, file, '..'), { recursive: true });
        await writeFile(join(out, file), text);
      }
      await expect(ingest({ data: csv, images: DEMO, out, size: 8, split: null }), name).rejects.toBeInstanceOf(OutputRefusedError);
      for (const [file, text] of Object.entries(files)) expect(await readFile(join(out, file), 'utf8')).toBe(text);
    }
    expect((await readdir(join(root, 'foreign'))).sort()).toEqual(Object.keys(cases).sort());
  });

  it('a malformed CSV is one IngestError and writes nothing', async () => {
    const csv = join(root, 'broken.csv');
    await writeFile(csv, 'image_id,patient_id,target\n"unterminated,P,1\n');
    await expect(ingest({ data: csv, out: join(root, 'broken-out') })).rejects.toBeInstanceOf(IngestError);
    expect((await readdir(root)).filter((n) => n.includes('broken-out'))).toEqual([]);
  });

  it('rejects bad options with IngestError naming the option', async () => {
    await expect(ingest({ data: 'x', out: 'y', split: 1 })).rejects.toThrow(/split must be a train fraction/);
    await expect(ingest({ data: 'x', out: 'y', size: 0 })).rejects.toThrow(/size must be an integer/);
    await expect(ingest({ data: 'x', out: 'y', tenants: [3, 0] })).rejects.toThrow(/tenant sizes must be positive integers/);
  });

  it('an aborted run rejects and leaves neither output nor staging folder', async () => {
    const controller = new AbortController();
    const out = join(root, 'aborted', 'ds');
    const run = ingest({ data: await demoSubset(30), images: DEMO, out, size: 8, concurrency: 1, signal: controller.signal }, (p) => {
      if (p.done === 3) controller.abort(new Error('SIGTERM'));
    });
    await expect(run).rejects.toThrow('SIGTERM');
    expect(await readdir(join(root, 'aborted'))).toEqual([]);
  });
});
