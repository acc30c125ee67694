import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestError } from '../errors.ts';
import { detectSource, loadSource } from './detect.ts';
import { readDermSample } from './derm-sample.ts';
import { readFolders } from './folders.ts';
import { readHam10000 } from './ham10000.ts';
import { readIsic2020 } from './isic2020.ts';

let root: string;
const touch = async (path: string) => {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, 'x');
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dermagan-sources-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('ISIC 2020 train.csv', () => {
  it('reads image_name / patient_id / target, finds images in jpeg/train, keeps bad rows with their problem', async () => {
    const dir = join(root, 'isic');
    await touch(join(dir, 'jpeg', 'train', 'ISIC_1.jpg'));
    await touch(join(dir, 'jpeg', 'train', 'ISIC_2.jpg'));
    await touch(join(dir, 'jpeg', 'train', 'ISIC_4.jpg'));
    await writeFile(
      join(dir, 'train.csv'),
      'image_name,patient_id,sex,age_approx,anatom_site_general_challenge,diagnosis,benign_malignant,target\n' +
        'ISIC_1,IP_1,male,45,torso,nevus,benign,0\n' +
        'ISIC_2,IP_1,male,45,torso,melanoma,malignant,1\n' +
        'ISIC_3,IP_2,female,50,torso,nevus,benign,0\n' +
        'ISIC_4,,female,50,torso,unknown,benign,\n',
    );
    const source = await readIsic2020(join(dir, 'train.csv'));
    expect(source.kind).toBe('isic2020');
    expect(source.labels).toEqual(['benign', 'malignant']);
    expect(source.rows.map(({ problem: _p, ...r }) => r)).toEqual([
      { id: 'ISIC_1', patient: 'IP_1', label: 0, file: join(dir, 'jpeg', 'train', 'ISIC_1.jpg') },
      { id: 'ISIC_2', patient: 'IP_1', label: 1, file: join(dir, 'jpeg', 'train', 'ISIC_2.jpg') },
      { id: 'ISIC_3', patient: 'IP_2', label: 0, file: null },
      { id: 'ISIC_4', patient: '', label: null, file: join(dir, 'jpeg', 'train', 'ISIC_4.jpg') },
    ]);
    expect(source.rows[2]!.problem).toContain('no ISIC_3.*');
    expect(source.rows[3]!.problem).toBe('target is "", expected 0 or 1');
  });

  it('a link in the image folder that leaves it is not followed: the row is outside-source', async () => {
    const dir = join(root, 'isic-links');
    await touch(join(dir, 'jpeg', 'train', 'ISIC_1.jpg'));
    await touch(join(root, 'elsewhere', 'ISIC_2.jpg'));
    await symlink(join(root, 'elsewhere', 'ISIC_2.jpg'), join(dir, 'jpeg', 'train', 'ISIC_2.jpg'));
    await writeFile(join(dir, 'train.csv'), 'image_name,patient_id,target\nISIC_1,P1,0\nISIC_2,P2,1\n');
    const source = await readIsic2020(join(dir, 'train.csv'));
    expect(source.rows.map((r) => [r.id, r.file !== null, r.reason ?? null])).toEqual([
      ['ISIC_1', true, null],
      ['ISIC_2', false, 'outside-source'],
    ]);
  });

  it('takes the images from --images when given, and errors if that folder is missing', async () => {
    const dir = join(root, 'isic-images');
    await touch(join(dir, 'elsewhere', 'ISIC_9.png'));
    await writeFile(join(dir, 'train.csv'), 'image_name,patient_id,target\nISIC_9,IP_9,1\n');
    const source = await readIsic2020(join(dir, 'train.csv'), { images: join(dir, 'elsewhere') });
    expect(source.rows[0]!.file).toBe(join(dir, 'elsewhere', 'ISIC_9.png'));
    await expect(readIsic2020(join(dir, 'train.csv'), { images: join(dir, 'nope') })).rejects.toThrow(/image folder .*nope cannot be read/);
  });

  it('one clear error when no named image exists anywhere (wrong folder)', async () => {
    const dir = join(root, 'isic-none');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'train.csv'), 'image_name,patient_id,target\nISIC_1,IP_1,0\nISIC_2,IP_2,1\n');
    await expect(readIsic2020(join(dir, 'train.csv'))).rejects.toThrow(/none of the 2 images .* pass --images/);
  });
});

describe('HAM10000 metadata', () => {
  it('label = melanoma (dx mel) vs other, patient = lesion_id (with a note), images in the part folders', async () => {
    const dir = join(root, 'ham');
    await touch(join(dir, 'HAM10000_images_part_1', 'ISIC_0027419.jpg'));
    await touch(join(dir, 'HAM10000_images_part_2', 'ISIC_0025030.jpg'));
    await touch(join(dir, 'HAM10000_images_part_2', 'ISIC_0026769.jpg'));
    await writeFile(
      join(dir, 'HAM10000_metadata.csv'),
      'lesion_id,image_id,dx,dx_type,age,sex,localization\n' +
        'HAM_0000118,ISIC_0027419,bkl,histo,80.0,male,scalp\n' +
        'HAM_0000118,ISIC_0025030,mel,histo,80.0,male,scalp\n' +
        'HAM_0002730,ISIC_0026769,,histo,80.0,male,scalp\n',
    );
    const source = await readHam10000(join(dir, 'HAM10000_metadata.csv'));
    expect(source.labels).toEqual(['other', 'melanoma']);
    expect(source.rows.map((r) => [r.id, r.patient, r.label, r.file !== null])).toEqual([
      ['ISIC_0027419', 'HAM_0000118', 0, true],
      ['ISIC_0025030', 'HAM_0000118', 1, true],
      ['ISIC_0026769', 'HAM_0002730', null, true],
    ]);
    expect(source.notes.join(' ')).toMatch(/no patient ids: lesion_id is used/);
  });
});

describe('derm-sample metadata.csv', () => {
  it('reads the shipped demo subset: 300 rows, all with files, 75 melanoma, empty patient ids kept empty', async () => {
    const csv = new URL('../../../../data/demo/metadata.csv', import.meta.url).pathname;
    const source = await readDermSample(csv);
    expect(source.kind).toBe('derm-sample');
    expect(source.labels).toEqual(['other', 'melanoma']);
    expect(source.rows).toHaveLength(300);
    expect(source.rows.every((r) => r.file !== null && r.file.endsWith(`${r.id}.jpg`))).toBe(true);
    expect(source.rows.filter((r) => r.label === 1)).toHaveLength(75);
    expect(source.rows.filter((r) => r.patient === '')).toHaveLength(84);
  });

  it('a target that is not 0/1 gives a null label with the raw value', async () => {
    const dir = join(root, 'ds');
    await touch(join(dir, 'A.jpg'));
    await writeFile(join(dir, 'metadata.csv'), 'image_id,patient_id,diagnosis,target,source\nA,P,nevus,maybe,HAM10000\n');
    const source = await readDermSample(join(dir, 'metadata.csv'));
    expect(source.rows[0]).toMatchObject({ id: 'A', label: null, problem: 'target is "maybe", expected 0 or 1' });
  });
});

describe('folder per class', () => {
  it('class names are the sorted folder names; every non-hidden entry is a row; no patients', async () => {
    const dir = join(root, 'folders');
    await touch(join(dir, 'nevus', 'b.jpg'));
    await touch(join(dir, 'nevus', 'a.png'));
    await touch(join(dir, 'melanoma', 'c.jpg'));
    await touch(join(dir, 'melanoma', '.DS_Store'));
    await touch(join(dir, 'README.txt'));
    const source = await readFolders(dir);
    expect(source.labels).toEqual(['melanoma', 'nevus']);
    expect(source.rows.map((r) => [r.id, r.label, r.patient])).toEqual([
      ['melanoma/c', 0, ''],
      ['nevus/a', 1, ''],
      ['nevus/b', 1, ''],
    ]);
  });

  it('a link is followed inside the root, never out of it (the row stays, to be quarantined as outside-source)', async () => {
    const dir = join(root, 'linked');
    await touch(join(dir, 'nevus', 'a.png'));
    await touch(join(dir, '.store', 'kept.png'));
    await touch(join(root, 'secret', 'patient.png'));
    await mkdir(join(dir, 'melanoma'), { recursive: true });
    await symlink(join(dir, '.store', 'kept.png'), join(dir, 'melanoma', 'inside.png'));
    await symlink(join(root, 'secret', 'patient.png'), join(dir, 'melanoma', 'outside.png'));
    await symlink('../../secret/patient.png', join(dir, 'melanoma', 'relative.png'));
    const source = await readFolders(dir);
    expect(source.rows.map((r) => [r.id, r.file && relative(dir, r.file), r.reason ?? null])).toEqual([
      ['melanoma/inside', '.store/kept.png', null],
      ['melanoma/outside', null, 'outside-source'],
      ['melanoma/relative', null, 'outside-source'],
      ['nevus/a', 'nevus/a.png', null],
    ]);
    expect(source.rows[1]!.problem).toMatch(/is a link to .*secret\/patient\.png, outside .*linked; links out of a source folder are not followed/);
  });

  it('a root without class folders is an IngestError', async () => {
    const dir = join(root, 'flat');
    await touch(join(dir, 'x.jpg'));
    await expect(readFolders(dir)).rejects.toThrow(/no class sub-folders/);
  });
});

describe('auto-detection and malformed CSVs', () => {
  const csv = async (name: string, text: string) => {
    const path = join(root, 'detect', name);
    await mkdir(join(root, 'detect'), { recursive: true });
    await writeFile(path, text);
    return path;
  };

  it('detects each kind from the header (BOM and quotes tolerated) and a folder as folders', async () => {
    expect(await detectSource(await csv('i.csv', 'image_name,patient_id,sex,target\n'))).toBe('isic2020');
    expect(await detectSource(await csv('h.csv', '\uFEFF"lesion_id","image_id","dx","dx_type"\n'))).toBe('ham10000');
    expect(await detectSource(await csv('d.csv', 'image_id,patient_id,diagnosis,target,source\n'))).toBe('derm-sample');
    expect(await detectSource(join(root, 'folders'))).toBe('folders');
  });

  it('an unknown header is one IngestError listing what each source needs', async () => {
    const err = await detectSource(await csv('u.csv', 'file,class\na.jpg,1\n')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestError);
    expect((err as IngestError).retriable).toBe(false);
    expect((err as Error).message).toMatch(/cannot tell what .*u\.csv is from its header \(file, class\).*image_name, patient_id, target.*--source/);
  });

  it('a missing --data path is an IngestError saying what to give', async () => {
    await expect(loadSource(join(root, 'missing.csv'))).rejects.toThrow(/does not exist; give a metadata CSV/);
  });

  it('an explicit --source whose columns are missing names them', async () => {
    const path = await csv('m.csv', 'image_id,target\nA,1\n');
    await expect(loadSource(path, 'isic2020')).rejects.toThrow(/does not fit ISIC 2020 train.csv: missing column\(s\) image_name, patient_id \(it has image_id, target\)/);
  });

  it('an unparsable CSV (unbalanced quote, wrong field count) is an IngestError with the line', async () => {
    await expect(loadSource(await csv('q.csv', 'image_id,patient_id,target\n"A,P,1\n'), 'derm-sample')).rejects.toThrow(/is malformed: .*quote/i);
    await expect(loadSource(await csv('c.csv', 'image_id,patient_id,target\nA,P,1,extra\n'), 'derm-sample')).rejects.toThrow(/is malformed: .*line 2/i);
  });

  it('a CSV of a million columns is refused at once (a line limit, linear header checks, a column limit)', async () => {
    const header = Array.from({ length: 1_000_000 }, (_, i) => `c${i}`).join(',');
    const path = await csv('wide.csv', `${header}\n`);
    const started = Date.now();
    await expect(loadSource(path, 'derm-sample')).rejects.toThrow(/line 1 is longer than 65536 bytes \(csvLineBytes\)/);
    expect(Date.now() - started).toBeLessThan(5_000);
    const wide = await csv('wide-short.csv', `${Array.from({ length: 20_000 }, (_, i) => `c${i}`).join(',')}\n`);
    await expect(loadSource(wide, 'derm-sample', { limits: { csvLineBytes: 1e6 } })).rejects.toThrow(/has 20000 columns, more than the limit of 256 \(csvColumns\)/);
  }, 60_000);

  it('repeated column names are found in linear time and named', async () => {
    const header = [...Array.from({ length: 250 }, (_, i) => `c${i}`), 'image_id', 'patient_id', 'target', 'c7', 'c7', 'c9'].join(',');
    await expect(loadSource(await csv('dupes.csv', `${header}\n`), 'derm-sample')).rejects.toThrow(/repeated column names: c7, c9/);
  });

  it('a line over the line limit is refused with its number; a file over the size limit is not read', async () => {
    const long = `image_id,patient_id,target,notes\nA,P,1,short\nB,P,0,${'x'.repeat(70_000)}\n`;
    await expect(loadSource(await csv('long.csv', long), 'derm-sample')).rejects.toThrow(/line 3 is longer than 65536 bytes \(csvLineBytes\)/);
    await expect(loadSource(await csv('big.csv', 'image_id,patient_id,target\nA,P,1\n'), 'derm-sample', { limits: { csvBytes: 10 } })).rejects.toThrow(
      /is 33 bytes, more than the limit of 10 \(csvBytes\)/,
    );
  });

  it('an empty CSV is an IngestError', async () => {
    await expect(loadSource(await csv('e.csv', ''), 'derm-sample')).rejects.toThrow(/is empty/);
  });

  it('--images with a folder source is refused', async () => {
    await expect(loadSource(join(root, 'folders'), 'auto', { images: root })).rejects.toThrow(/does not apply to a folder source/);
  });
});
