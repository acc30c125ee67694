/** State files: what is saved is what is loaded, and a torn or foreign file is refused. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeState, encodeState, StateFileError, type DoneState, type RunningState } from './state.ts';
import { FolderStateStore, stateFileName } from './state-store.ts';

const running: RunningState = {
  kind: 'running',
  id: 'ISIC_0000001',
  step: 17,
  label: 1,
  rng: [1, 2, 3, 4294967295],
  w: Float32Array.of(1, 2),
  wM: Float32Array.of(0.5, -0.5),
  wV: Float32Array.of(1e-3, 2e-3),
  noise: [Float32Array.of(1, 2, 3, 4), Float32Array.of(9)],
  noiseM: [Float32Array.of(0, 0, 0, 1), Float32Array.of(8)],
  noiseV: [Float32Array.of(1, 1, 1, 1), Float32Array.of(7)],
};
const done: DoneState = { kind: 'done', id: 'x,"y"', steps: 1000, label: null, w: Float32Array.of(3, 4), noise: [Float32Array.of(0.5, -1, 2, 0), Float32Array.of(-3)], image: Uint8Array.of(0, 128, 255), distance: 0.25, mse: 0.01 };

describe('state files', () => {
  it('round-trip a running and a finished state exactly', () => {
    expect(decodeState(encodeState(running), 'r')).toEqual(running);
    expect(decodeState(encodeState(done), 'd')).toEqual(done);
  });

  it('refuse a torn file, a foreign file and a truncated one', () => {
    const bytes = encodeState(running);
    const torn = Buffer.from(bytes);
    torn[torn.length - 1]! ^= 1;
    expect(() => decodeState(torn, 'torn')).toThrow(StateFileError);
    expect(() => decodeState(torn, 'torn')).toThrow(/torn or corrupt/);
    expect(() => decodeState(Buffer.from('{"kind":"running"}'), 'json')).toThrow(/not a projection state file/);
    expect(() => decodeState(bytes.subarray(0, 20), 'short')).toThrow(/truncated/);
  });

  it('refuse a finished state without its noise maps (its image could not be reproduced)', () => {
    expect(() => decodeState(encodeState({ ...done, noise: [] }), 'old.state')).toThrow(/old\.state is a finished image saved without its noise maps.*new output folder/);
  });

  it('a folder store replaces files whole and reports missing ones as null', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'states-'));
    try {
      const store = new FolderStateStore(join(dir, 'state'));
      expect(await store.load(3)).toBeNull();
      await store.save(3, running);
      await store.save(3, done);
      expect(await store.load(3)).toEqual(done);
      expect(stateFileName(3)).toBe('000003.state');
      await writeFile(join(dir, 'state', stateFileName(4)), (await readFile(join(dir, 'state', stateFileName(3)))).subarray(0, 30));
      await expect(store.load(4)).rejects.toThrow(/truncated|torn/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
