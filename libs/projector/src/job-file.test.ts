/** The output folder: claimed when new, continued when it holds the same job, refused otherwise. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvText } from './csv.ts';
import { claimOutputFolder, JOB_FORMAT, resultOptions, type ProjectionJobFile } from './job-file.ts';
import { projectorOptions } from './options.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'claim-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const job = (over: Partial<ProjectionJobFile> = {}, options = projectorOptions()): ProjectionJobFile => ({
  format: JOB_FORMAT,
  generator: { fingerprint: 'g', provenance: {} },
  dataset: { fingerprint: 'd', name: 'demo' },
  ids: ['a', 'b'],
  options: resultOptions(options),
  perceptual: { id: 'pixels-mse', hash: '0' },
  ...over,
});

describe('claimOutputFolder', () => {
  it('claims a new folder, then continues the same job (a new batch size changes no result)', async () => {
    const dir = join(root, 'new');
    expect(await claimOutputFolder(dir, job())).toEqual({ resuming: false });
    expect(await claimOutputFolder(dir, job({}, projectorOptions({ batch: 3, saveEvery: 9 })))).toEqual({ resuming: true });
  });

  it('refuses a folder of another projection, saying what differs', async () => {
    const dir = join(root, 'other');
    await claimOutputFolder(dir, job());
    await expect(claimOutputFolder(dir, job({ ids: ['a'] }, projectorOptions({ steps: 10 })))).rejects.toThrow(/the images \(2 then, 1 now\); steps \(1000 then, 10 now\) differ/);
  });

  it("refuses a folder that is not a projection's (nothing of the user's is overwritten)", async () => {
    const dir = join(root, 'mine');
    await mkdir(dir);
    await writeFile(join(dir, 'thesis.docx'), 'precious');
    await expect(claimOutputFolder(dir, job())).rejects.toThrow(/not a projection's output folder/);
  });
});

describe('csvText', () => {
  it('quotes, and defuses cells a spreadsheet would run as formulas', () => {
    expect(csvText(['id', 'd'], [['=HYPERLINK("x")', 0.5], ['a,b', null], ['-1+2', NaN], ['@SUM(A1)', -3]])).toBe(
      'id,d\n"\'=HYPERLINK(""x"")",0.5\n"a,b",\n\'-1+2,\n\'@SUM(A1),-3\n',
    );
  });
});
