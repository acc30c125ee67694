/** Checkpoint files: round trip, torn-write detection, atomic folder replacement. */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_FORMAT, FolderCheckpointSink, TENSORS_FILE, decodeCheckpoint, encodeCheckpoint } from './checkpoint.ts';

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
