/** Checkpoint files: round trip, torn-write and tamper detection, atomic folder replacement. */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_FORMAT, FolderCheckpointSink, META_FILE, TENSORS_FILE, decodeCheckpoint, encodeCheckpoint } from './checkpoint.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dermagan-ckpt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const arrays = new Map([
  ['G/a', { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }],
  ['D/b', { shape: [], data: Float32Array.from([-0.5]) }],
]);

describe('checkpoint files', () => {
  it('round-trips metadata and tensors through a folder; a second save replaces the first', async () => {
    const sink = new FolderCheckpointSink(join(dir, 'ckpt'));
    await sink.save(encodeCheckpoint({ format: CHECKPOINT_FORMAT, step: 1 }, arrays));
    await sink.save(encodeCheckpoint({ format: CHECKPOINT_FORMAT, step: 2 }, arrays));
    const { meta, arrays: back } = decodeCheckpoint(await sink.load(), sink.location);
    expect(meta.step).toBe(2);
    expect(Array.from(back.get('G/a')!.data)).toEqual([1, 2, 3, 4]);
    expect(back.get('D/b')!.shape).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual(['ckpt']); // no staging or old folders left
  });
  it('detects a corrupt tensors file', async () => {
    const sink = new FolderCheckpointSink(join(dir, 'bad'));
    await sink.save(encodeCheckpoint({ format: CHECKPOINT_FORMAT }, arrays));
    await writeFile(join(dir, 'bad', TENSORS_FILE), new Uint8Array(20));
    expect(() => decodeCheckpoint(new Map(), 'x')).toThrow(/not a dermagan GAN checkpoint/);
    const files = await sink.load();
    expect(() => decodeCheckpoint(files, sink.location)).toThrow(/tensors.bin is corrupt/);
  });
  describe('a tampered tensor index is refused, never loaded as another model', () => {
    const three = new Map([
      ['G/a', { shape: [2], data: Float32Array.from([1, 2]) }],
      ['G/b', { shape: [2], data: Float32Array.from([3, 4]) }],
      ['D/c', { shape: [1], data: Float32Array.from([5]) }],
    ]);
    /** The files with checkpoint.json's tensors section edited by `edit` (the hash fields kept or recomputed as told). */
    const tampered = (edit: (t: { index: Array<{ name: string; shape: number[]; offset: number }>; indexSha256?: string }) => void) => {
      const files = encodeCheckpoint({ format: CHECKPOINT_FORMAT }, three);
      const meta = JSON.parse(new TextDecoder().decode(files.get(META_FILE)));
      edit(meta.tensors);
      files.set(META_FILE, new TextEncoder().encode(JSON.stringify(meta)));
      return files;
    };
    const rehash = (t: { index: unknown; indexSha256?: string }) => (t.indexSha256 = createHash('sha256').update(JSON.stringify(t.index)).digest('hex'));

    it('the untouched files decode', () => {
      const { arrays: back } = decodeCheckpoint(tampered(() => {}), 'x');
      expect(Array.from(back.get('G/b')!.data)).toEqual([3, 4]);
    });

    it('two offsets swapped (the index hash kept, or recomputed to match)', () => {
      const swap = (t: { index: Array<{ offset: number }> }) => ([t.index[0]!.offset, t.index[1]!.offset] = [t.index[1]!.offset, t.index[0]!.offset]);
      expect(() => decodeCheckpoint(tampered(swap), 'x')).toThrow(/x: the tensor index of checkpoint\.json does not match its sha256/);
      expect(() => decodeCheckpoint(tampered((t) => (swap(t), rehash(t))), 'x')).toThrow(/x: tensor G\/a starts at 2, expected 0 \(the index must lay the tensors end to end in order\)/);
    });

    it('an offset past the end, an overlap, a shape that does not fit, a repeated name, a missing index hash', () => {
      expect(() => decodeCheckpoint(tampered((t) => ((t.index[2]!.offset = 1e9), rehash(t))), 'x')).toThrow(/tensor D\/c starts at 1000000000, expected 4/);
      expect(() => decodeCheckpoint(tampered((t) => ((t.index[1]!.offset = 1), rehash(t))), 'x')).toThrow(/tensor G\/b starts at 1, expected 2/);
      expect(() => decodeCheckpoint(tampered((t) => ((t.index[2]!.shape = [2]), rehash(t))), 'x')).toThrow(/the index covers 6 values but tensors\.bin holds 5/);
      expect(() => decodeCheckpoint(tampered((t) => ((t.index[2]!.shape = [-1]), rehash(t))), 'x')).toThrow(/tensor D\/c has the shape \[-1\]/);
      expect(() => decodeCheckpoint(tampered((t) => ((t.index[1]!.name = 'G/a'), rehash(t))), 'x')).toThrow(/tensor G\/a is listed twice/);
      expect(() => decodeCheckpoint(tampered((t) => delete t.indexSha256), 'x')).toThrow(/checkpoint\.json has no indexSha256/);
    });
  });

  it('replaces only a checkpoint: a folder holding anything else is refused and kept', async () => {
    const mine = join(dir, 'mine');
    await mkdir(mine);
    await writeFile(join(mine, 'notes.txt'), 'precious');
    await expect(new FolderCheckpointSink(mine).save(encodeCheckpoint({ format: CHECKPOINT_FORMAT }, arrays))).rejects.toThrow(/is not a dermagan GAN checkpoint \(it holds notes\.txt/);
    expect(await readdir(mine)).toEqual(['notes.txt']);
    expect((await readdir(dir)).filter((n) => n.startsWith('mine.'))).toEqual([]);
  });
  it('says what to pass when the folder does not exist', async () => {
    await expect(new FolderCheckpointSink(join(dir, 'nope')).load()).rejects.toThrow(/no checkpoint here \(ENOENT\); pass the folder a training run wrote/);
  });
});
