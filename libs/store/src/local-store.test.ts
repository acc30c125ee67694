import { mkdtemp, open, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError } from './errors.ts';
import { TEMP_MARKER } from './keys.ts';
import { LocalStore } from './local-store.ts';
import { storeContractSuite } from './testing/contract-suite.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dermagan-local-store-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

storeContractSuite('local folder', async () => ({
  store: new LocalStore({ root }),
  // Flip one byte in the middle of the object's file, as bit rot or a careless edit would.
  async tamper(bucket, key) {
    const handle = await open(join(root, bucket, ...key.split('/')), 'r+');
    try {
      const { size } = await handle.stat();
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, Math.floor(size / 2));
      byte[0] = byte[0]! ^ 0xff;
      await handle.write(byte, 0, 1, Math.floor(size / 2));
    } finally {
      await handle.close();
    }
  },
}));

describe('LocalStore specifics', () => {
  it('keeps objects as plain files under <root>/<bucket>/<key>', async () => {
    const store = new LocalStore({ root });
    await store.ensureBucket('plain-files');
    await store.put('plain-files', 'datasets/d1/manifest.json', '{"a":1}');
    expect(await readFile(join(root, 'plain-files', 'datasets', 'd1', 'manifest.json'), 'utf8')).toBe('{"a":1}');
  });

  it('refuses to serve a file that was dropped into the folder without going through the store', async () => {
    const store = new LocalStore({ root });
    await store.ensureBucket('foreign-files');
    await writeFile(join(root, 'foreign-files', 'dropped.bin'), 'not written by the store');
    for (const call of [() => store.get('foreign-files', 'dropped.bin'), () => store.stat('foreign-files', 'dropped.bin')]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IntegrityError);
      expect((err as Error).message).toContain('no checksum is recorded');
    }
  });

  it('verifies a store folder that was copied elsewhere (file times changed)', async () => {
    const store = new LocalStore({ root });
    await store.ensureBucket('copied');
    await store.put('copied', 'k', 'copied bytes');
    const path = join(root, 'copied', 'k');
    await writeFile(path, 'copied bytes'); // same bytes, new mtime: what a plain copy does
    expect((await store.getBytes('copied', 'k')).toString()).toBe('copied bytes');
  });

  it('detects a flipped byte even when the file keeps its size and times (bit rot)', async () => {
    const store = new LocalStore({ root });
    await store.ensureBucket('bit-rot');
    await store.put('bit-rot', 'k', Buffer.alloc(4096, 7));
    const path = join(root, 'bit-rot', 'k');
    const before = await stat(path);
    const bytes = await readFile(path);
    bytes[100] = 8;
    await writeFile(path, bytes);
    await utimes(path, before.atime, before.mtime);
    await expect(store.getBytes('bit-rot', 'k')).rejects.toBeInstanceOf(IntegrityError);
  });

  it('finishes a put that was killed between moving its data and its sidecar into place', async () => {
    const store = new LocalStore({ root });
    await store.ensureBucket('cut-put');
    const meta = join(root, '.dermagan-meta', 'cut-put', 'study', 'runs.json.json');
    await store.put('cut-put', 'study/runs.json', '{"runs":1}');
    const first = await readFile(meta);
    const second = await store.put('cut-put', 'study/runs.json', '{"runs":2}');
    // The state a SIGKILL between the two renames leaves: new bytes, old sidecar, new sidecar as a
    // temp file beside it (and a stray temp of a put killed earlier, while writing its sidecar).
    await rename(meta, `${meta}${TEMP_MARKER}0123456789ab`);
    await writeFile(meta, first);
    await writeFile(`${meta}${TEMP_MARKER}ba9876543210`, '{"sha256":"');
    expect(await store.stat('cut-put', 'study/runs.json')).toEqual(second);
    expect((await store.getBytes('cut-put', 'study/runs.json')).toString()).toBe('{"runs":2}');
    expect(await readdir(dirname(meta))).toEqual(['runs.json.json', `runs.json.json${TEMP_MARKER}ba9876543210`]);
  });

  it('finishes a first put killed before its sidecar moved (no older sidecar)', async () => {
    const store = new LocalStore({ root });
    await store.ensureBucket('cut-first-put');
    const meta = join(root, '.dermagan-meta', 'cut-first-put', 'k.json');
    const ref = await store.put('cut-first-put', 'k', 'only version');
    await rename(meta, `${meta}${TEMP_MARKER}0123456789ab`);
    expect((await store.getBytes('cut-first-put', 'k')).toString()).toBe('only version');
    expect(await store.stat('cut-first-put', 'k')).toEqual(ref);
  });

  it('does not take a temp sidecar of other bytes for the data file (the data was modified by hand)', async () => {
    const store = new LocalStore({ root });
    await store.ensureBucket('cut-other');
    const meta = join(root, '.dermagan-meta', 'cut-other', 'k.json');
    await store.put('cut-other', 'k', 'version one');
    await writeFile(`${meta}${TEMP_MARKER}0123456789ab`, await readFile(meta));
    await writeFile(join(root, 'cut-other', 'k'), 'edited by hand');
    await expect(store.getBytes('cut-other', 'k')).rejects.toBeInstanceOf(IntegrityError);
    expect(await readdir(dirname(meta))).toContain(`k.json${TEMP_MARKER}0123456789ab`);
  });

  it('rejects a relative root', () => {
    expect(() => new LocalStore({ root: 'relative/folder' })).toThrow(/absolute/);
  });
});
