import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_MARKER, OutputRefusedError, checkOutputFile, checkOutputFolder, claimOutputFolder, createStagingFolder, replaceFolder, runFolder } from './output-folder.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'safe-io-out-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const train = runFolder('train', 'dermagan training run');

describe('run folders', () => {
  it('an absent or empty folder is claimed and marked; a second claim by the same command is allowed', async () => {
    const dir = join(root, 'new', 'run');
    await claimOutputFolder(dir, train);
    expect(JSON.parse(await readFile(join(dir, OUTPUT_MARKER), 'utf8'))).toEqual({ format: 'dermagan.output/v1', command: 'train' });
    await writeFile(join(dir, 'run.json'), '{}');
    await claimOutputFolder(dir, train);
    await mkdir(join(root, 'empty'));
    await claimOutputFolder(join(root, 'empty'), train);
    expect(await readdir(join(root, 'empty'))).toEqual([OUTPUT_MARKER]);
  });

  it('refuses a folder without the marker, with another format, or of another command, and leaves it as it was', async () => {
    const dir = join(root, 'mine');
    await mkdir(dir);
    await writeFile(join(dir, 'run.json'), 'precious');
    await expect(claimOutputFolder(dir, train)).rejects.toThrow(/mine is not a dermagan training run \(it holds run\.json and no dermagan-output\.json\); choose a new or empty folder/);
    await writeFile(join(dir, OUTPUT_MARKER), '{"format":"x"}');
    await expect(checkOutputFolder(dir, train)).rejects.toThrow(/without the format dermagan\.output\/v1/);
    await writeFile(join(dir, OUTPUT_MARKER), '{"format":"dermagan.output/v1","command":"federate"}');
    await expect(checkOutputFolder(dir, train)).rejects.toThrow(/the output of 'dermagan federate'/);
    expect(await readFile(join(dir, 'run.json'), 'utf8')).toBe('precious');
    await expect(checkOutputFolder(join(dir, 'run.json'), train)).rejects.toThrow(/exists and is not a folder/);
  });
});

describe('whole-folder replacement', () => {
  it('swaps a staging folder into place and removes the old one only when it is of the kind', async () => {
    const everything = { title: 'thing', foreign: async (_d: string, names: readonly string[]) => (names.includes('ours') ? null : `it holds ${names.join(', ')}`) };
    const out = join(root, 'swap', 'out');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'ours'), 'old');
    const staging = await createStagingFolder(out);
    await writeFile(join(staging, 'ours'), 'new');
    await replaceFolder(staging, out, everything);
    expect(await readFile(join(out, 'ours'), 'utf8')).toBe('new');
    expect(await readdir(join(root, 'swap'))).toEqual(['out']);

    await rm(join(out, 'ours'));
    await writeFile(join(out, 'theirs'), 'precious');
    const again = await createStagingFolder(out);
    const err = await replaceFolder(again, out, everything).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputRefusedError);
    expect((err as OutputRefusedError).retriable).toBe(false);
    expect(await readFile(join(out, 'theirs'), 'utf8')).toBe('precious');
  });
});

describe('output files', () => {
  it('writes only where nothing exists: a file, a folder or a dangling link is refused', async () => {
    await checkOutputFile(join(root, 'absent.npy'));
    await writeFile(join(root, 'there.npy'), 'x');
    await expect(checkOutputFile(join(root, 'there.npy'))).rejects.toThrow(/there\.npy already exists; dermagan does not overwrite a file it cannot prove it wrote/);
    await symlink(join(root, 'nowhere'), join(root, 'dangling.npy'));
    await expect(checkOutputFile(join(root, 'dangling.npy'))).rejects.toBeInstanceOf(OutputRefusedError);
  });
});
