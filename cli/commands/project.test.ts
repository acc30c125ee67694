/**
 * `dermagan project` and `dermagan audit` end to end at 16² with a tiny GAN trained on the demo
 * sample: outputs (and their latents reproducing the projected images), a projection killed (SIGKILL) mid-run that continues from each image's saved
 * step, the audit's JSON line and files, and misuse (images of another size or other classes than
 * the generator's) exiting 2 with the reason. (The audit's statistics are tested in
 * libs/projector/src/audit/audit.test.ts with a generator that memorised its images.)
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBlobDataset } from '@dermagan/classifier/testing';
import { loadImages, readManifest } from '@dermagan/dataset';
import { FolderCheckpointSink, loadGenerator } from '@dermagan/gan';
import { readNpy } from '@dermagan/npy';
import { decodeState, regenerateProjection } from '@dermagan/projector';
import { loadTf } from '@dermagan/tf';
import { dermagan, lastJson } from '../testing.ts';

let root: string;
const at = (name: string) => join(root, name);
const BIN = new URL('../../bin/dermagan.js', import.meta.url).pathname;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'project-cli-'));
  for (const [name, size] of [['demo16', '16'], ['demo32', '32']] as const) {
    expect((await dermagan('ingest', '--out', at(name), '--size', size, '--split', '0.8', '--json')).code).toBe(0);
  }
  const train = (out: string, ...extra: string[]) => dermagan('train', '--data', at('demo16'), '--res', '16', '--kimg', '0.016', '--cfg', 'test', '--tick', '0.016', '--out', at(out), '--json', ...extra);
  expect((await train('cgan', '--cond')).code).toBe(0);
  expect((await train('mal-gan', '--class', '1')).code).toBe(0);
}, 300_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const common = ['--ckpt', 'cgan/checkpoint', '--data', 'demo16', '--w-avg-samples', '500'];
const args = (...extra: string[]) => [...common, ...extra].map((a) => (a === 'cgan/checkpoint' || a === 'demo16' ? at(a) : a));

describe('dermagan project', () => {
  it('writes w.npy, the projected images as a dataset and per-image numbers', async () => {
    await writeFile(at('ids.txt'), '# two test images\n');
    const manifest = await readManifest(at('demo16'));
    const ids = manifest.images.filter((e) => e.split === 'test').slice(0, 5).map((e) => e.id);
    await writeFile(at('ids.txt'), `# five test images\n${ids.join('\n')}\n\n`);
    const r = await dermagan('project', ...args('--ids', at('ids.txt'), '--steps', '20', '--batch', '3', '--out', at('p1'), '--json'));
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    expect(lastJson(r.stdout)).toMatchObject({ images: 5, stopped: 'done', resumed: 0, space: 'w', distance_space: 'lpips-vgg16', image_steps: 100, cosine: null });
    const w = await readNpy(at('p1/w.npy'));
    expect(w.shape).toEqual([5, 6, 16]);
    const projected = await readManifest(at('p1/projected'));
    expect(projected.images.map((e) => e.id)).toEqual(ids);
    expect(projected.source.kind).toBe('generated');
    const csv = (await readFile(at('p1/projections.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('id,patient,label,distance,mse,cosine');
    expect(csv).toHaveLength(6);

    // The latents, hashed in projection.json, reproduce the projected images through the checkpoint.
    const { files } = JSON.parse(await readFile(at('p1/projection.json'), 'utf8')) as { files: Record<string, string> };
    const layers = ['b4.conv1', 'b8.conv0', 'b8.conv1', 'b16.conv0', 'b16.conv1'];
    expect(Object.keys(files)).toEqual(['w.npy', ...layers.map((l) => `noise/${l}.noise_const.npy`)]);
    for (const [file, sha256] of Object.entries(files)) expect(createHash('sha256').update(await readFile(at(`p1/${file}`))).digest('hex')).toBe(sha256);
    expect((await readNpy(at('p1/noise/b8.conv1.noise_const.npy'))).shape).toEqual([5, 8, 8]);
    const { tf } = await loadTf();
    const { G } = await loadGenerator(tf, new FolderCheckpointSink(at('cgan/checkpoint')));
    try {
      const saved = await loadImages(at('p1/projected'), projected, projected.images);
      expect(Array.from(await regenerateProjection(tf, G, at('p1')))).toEqual(Array.from(saved.pixels));
    } finally {
      G.ps.dispose();
    }
    // dermagan generate --from-projection: the same images again, as a dataset with the projection's ids.
    const regen = await dermagan('generate', '--ckpt', at('cgan/checkpoint'), '--from-projection', at('p1'), '--out', at('regen'), '--json');
    expect(regen.code).toBe(0);
    expect(lastJson(regen.stdout)).toMatchObject({ images: 5, identical: 5 });
    const regenerated = await readManifest(at('regen'));
    expect(regenerated.images.map((e) => e.id)).toEqual(ids);
    expect(regenerated.images.map((e) => e.sha256)).toEqual(projected.images.map((e) => e.sha256));

    // The same command again: everything is done already.
    const again = await dermagan('project', ...args('--ids', at('ids.txt'), '--steps', '20', '--batch', '3', '--out', at('p1'), '--json'));
    expect(lastJson(again.stdout)).toMatchObject({ images: 5, already_done: 5, image_steps: 0 });
  }, 300_000);

  it('killed mid-run, continues from each image’s last saved step', async () => {
    const out = at('killed');
    const flags = args('--n', '4', '--steps', '300', '--batch', '4', '--save-every', '10', '--distance', 'pixels-mse', '--out', out, '--json');
    const child = spawn('node', [BIN, 'project', ...flags], { env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' }, stdio: 'ignore' });
    const saved = async () => {
      const files = await readdir(join(out, 'state')).catch(() => [] as string[]);
      const states = await Promise.all(files.filter((f) => f.endsWith('.state')).map(async (f) => decodeState(await readFile(join(out, 'state', f)), f)));
      return states.map((s) => (s.kind === 'running' ? s.step : 300));
    };
    for (let waited = 0; ; waited += 200) {
      const steps = await saved();
      if (steps.length === 4 && Math.min(...steps) >= 20) break;
      if (waited > 240_000) throw new Error('the projection saved no state in 4 minutes');
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const before = await saved();
    expect(before.every((s) => s > 0 && s < 300)).toBe(true);

    const rerun = await dermagan('project', ...flags);
    expect(rerun.code).toBe(0);
    const summary = lastJson(rerun.stdout);
    expect(summary).toMatchObject({ images: 4, stopped: 'done', resumed: 4, image_steps: 4 * 300 - before.reduce((a, b) => a + b, 0) });
  }, 300_000);

  it('exits 2 with the reason on images the generator cannot project, and on misuse', async () => {
    const size = await dermagan('project', '--ckpt', at('cgan/checkpoint'), '--data', at('demo32'), '--n', '2', '--out', at('x1'));
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/holds 32×32 images but the generator makes 16×16: ingest the images with --size 16/);

    const oneClass = await dermagan('project', '--ckpt', at('mal-gan/checkpoint'), '--data', at('demo16'), '--n', '3', '--class', '0', '--out', at('x2'));
    expect(oneClass.code).toBe(2);
    expect(oneClass.stderr).toMatch(/trained on class 1 \("melanoma"\) only, but 3 selected images .* are of other classes: select --class 1/);

    await writeBlobDataset({ dir: at('blobs'), size: 16, patientsPerClass: 2, seed: 1 });
    const classes = await dermagan('project', '--ckpt', at('cgan/checkpoint'), '--data', at('blobs'), '--n', '2', '--out', at('x3'));
    expect(classes.code).toBe(2);
    expect(classes.stderr).toMatch(/knows the classes \[other, melanoma\] but .* has \[benign, malignant\]/);

    const both = await dermagan('project', ...args('--n', '2', '--ids', at('ids.txt'), '--out', at('x4')));
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--n and --ids exclude each other/);

    await writeFile(at('bad-ids.txt'), 'ISIC_none\n');
    const missing = await dermagan('project', ...args('--ids', at('bad-ids.txt'), '--out', at('x5')));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/1 of the 1 ids are not among the selected images .*"ISIC_none"/);

    await mkdir(at('mine'));
    await writeFile(at('mine/notes.txt'), 'mine');
    const foreign = await dermagan('project', ...args('--n', '1', '--steps', '2', '--out', at('mine')));
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/not a projection's output folder/);
    expect(await readFile(at('mine/notes.txt'), 'utf8')).toBe('mine');

    // Regenerating a projection: another generator, a changed noise file, a folder that is no projection, --n with it.
    const otherG = await dermagan('generate', '--ckpt', at('mal-gan/checkpoint'), '--from-projection', at('p1'), '--out', at('x6'));
    expect(otherG.code).toBe(2);
    expect(otherG.stderr).toMatch(/was projected with another generator .*: give the checkpoint the projection was made with/);
    await cp(at('p1'), at('p1-changed'), { recursive: true });
    const noise = await readFile(at('p1-changed/noise/b8.conv0.noise_const.npy'));
    noise[noise.length - 1]! ^= 1;
    await writeFile(at('p1-changed/noise/b8.conv0.noise_const.npy'), noise);
    const changed = await dermagan('generate', '--ckpt', at('cgan/checkpoint'), '--from-projection', at('p1-changed'), '--out', at('x7'));
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/noise\/b8\.conv0\.noise_const\.npy does not hash to the sha256 projection\.json records/);
    const notProjection = await dermagan('generate', '--ckpt', at('cgan/checkpoint'), '--from-projection', at('demo16'), '--out', at('x8'));
    expect(notProjection.code).toBe(2);
    expect(notProjection.stderr).toMatch(/is not a finished projection/);
    const withN = await dermagan('generate', '--ckpt', at('cgan/checkpoint'), '--from-projection', at('p1'), '--n', '3', '--out', at('x9'));
    expect(withN.code).toBe(2);
    expect(withN.stderr).toMatch(/drop --n and --class/);

    const other = await dermagan('project', ...args('--n', '2', '--steps', '20', '--out', at('p1')));
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds a projection's work on other inputs \(the images/);
  }, 300_000);
});

describe('dermagan audit', () => {
  it('audits members (train split) against non-members (test split) of one folder: the JSON line, distances.csv, grids', async () => {
    const out = at('audit');
    const r = await dermagan(
      'audit', '--ckpt', at('cgan/checkpoint'), '--members', at('demo16'), '--non-members', at('demo16'), '--n', '6', '--steps', '20',
      '--generated', '8', '--distance', 'pixels-mse', '--spaces', 'none', '--resamples', '50', '--w-avg-samples', '500', '--out', out, '--json',
    );
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    const j = lastJson(r.stdout);
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['membership_auc', 'membership_auc_ci', 'tpr_at_fpr_1pct', 'tpr_at_fpr_0_1pct', 'copies_flagged', 'copies_rule']));
    expect(j).toMatchObject({ members: 6, non_members: 6, generated: 8, tpr_resolved: { '0.01': false, '0.001': false } });
    expect(j.membership_auc as number).toBeGreaterThanOrEqual(0);
    expect(j.copies_rule).toMatch(/below the 1st percentile/);
    const csv = (await readFile(join(out, 'distances.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('id,member,distance');
    expect(csv.slice(1).map((l) => l.split(',')[1]).sort()).toEqual([...Array(6).fill('0'), ...Array(6).fill('1')]);
    expect((await readdir(out)).sort()).toEqual(['audit-job.json', 'audit.json', 'closest-pixels-mse', 'closest-pixels-mse.png', 'distances.csv', 'members', 'nearest-pixels-mse.csv', 'non-members']);
    expect((await readdir(join(out, 'closest-pixels-mse'))).length).toBe(16); // the 8 closest pairs, two images each
  }, 300_000);

  it('exits 2 on a generator that cannot project the images, and on --spaces classifier without a classifier', async () => {
    const size = await dermagan('audit', '--ckpt', at('cgan/checkpoint'), '--members', at('demo32'), '--non-members', at('demo32'), '--out', at('a2'));
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/holds 32×32 images but the generator makes 16×16/);
    const noClassifier = await dermagan('audit', '--ckpt', at('cgan/checkpoint'), '--members', at('demo16'), '--non-members', at('demo16'), '--spaces', 'classifier', '--out', at('a3'));
    expect(noClassifier.code).toBe(2);
    expect(noClassifier.stderr).toMatch(/--spaces classifier needs --classifier DIR/);
  }, 120_000);
});
