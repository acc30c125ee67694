/**
 * `dermagan metrics` end to end: the real binary, spawned. Scores equal the library's (and so the
 * numpy fixtures); every kind of bad input exits 2 with a message that says what to fix.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DatasetWriter } from '@dermagan/dataset';
import { writeNpy } from '@dermagan/npy';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIX = join(ROOT, 'libs/metrics/fixtures');
const EXPECTED = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8'));

function runWith(env: Record<string, string>, ...args: string[]) {
  const res = spawnSync(process.execPath, [join(ROOT, 'bin/dermagan.js'), 'metrics', ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, DERMAGAN_TF_BACKEND: 'tensorflow', ...env } });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}
const run = (...args: string[]) => runWith({}, ...args);

async function dataset(name: string, size: number, count: number, seed: number) {
  const w = await DatasetWriter.create({ dir: file(name), size });
  for (let i = 0; i < count; i++) {
    const px = new Uint8Array(size * size * 3).map((_, j) => (j * (i + 3) * seed + i) % 256);
    await w.append(px, { id: `${name}${i}`, patient: `${name}${i}`, label: 0, sha256: (name + i).padEnd(64, '0').replace(/[^0-9a-f]/g, 'a').slice(0, 64) });
  }
  await w.finish({ name, labels: ['all'], source: { kind: 'generated' }, split: { kind: 'none' }, tenants: null });
  return file(name);
}

const tmp = mkdtempSync(join(tmpdir(), 'dermagan-cli-metrics-'));
const file = (name: string) => join(tmp, name);

describe('dermagan metrics', () => {
  it('--json prints one line with every score and the provenance, equal to the reference values', () => {
    const r = run('--real', join(FIX, 'memorised.real.npy'), '--fake', join(FIX, 'memorised.fake.npy'), '--features-from', 'inception-v3-pool3', '--json');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const out = JSON.parse(lines[lines.length - 1]!);
    const want = EXPECTED.cases.memorised;
    for (const key of ['fid', 'kid', 'kid_std', 'precision', 'recall', 'density', 'coverage', 'alpha_precision', 'beta_recall', 'authenticity']) {
      expect(out[key], key).toEqual(expect.any(Number));
    }
    expect(Math.abs(out.fid - want.fid)).toBeLessThan(1e-6 * want.fid);
    expect(Math.abs(out.kid - want.kidDefault.value)).toBeLessThan(1e-5);
    expect([out.precision, out.recall, out.authenticity]).toEqual([want.precision, want.recall, want.authenticity]);
    expect(out.provenance).toMatchObject({ extractor: { id: 'inception-v3-pool3' }, nReal: 150, nFake: 150, featureDim: 12, seeds: { kid: 0 }, compute: 'float64' });
    expect(out.provenance.inputs.real).toMatchObject({ kind: 'features', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(out.provenance.dermaganVersion).toEqual(expect.any(String));
  });

  it('does not call features of unknown origin FID, and says so', () => {
    const r = run('--real', join(FIX, 'gaussian-shift.real.npy'), '--fake', join(FIX, 'gaussian-shift.fake.npy'), '--metrics', 'fid,kid', '--kid-subsets', '4', '--kid-subset-size', '50', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim());
    expect(out.fid).toBeNull();
    expect(Math.abs(out.fd_unknown - EXPECTED.cases['gaussian-shift'].fid)).toBeLessThan(1e-6 * out.fd_unknown);
    expect(out.provenance.options).toMatchObject({ kidSubsets: 4, kidSubsetSize: 50 });
    expect(r.stderr).toMatch(/reported as "fd_unknown", not "fid"/);
  });

  it('takes real statistics (.npz) for FID', () => {
    const r = run('--real', join(FIX, 'gaussian-shift.real-stats.npz'), '--fake', join(FIX, 'gaussian-shift.fake.npy'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim());
    expect(Math.abs(out.fd_unknown - EXPECTED.cases['gaussian-shift'].fid)).toBeLessThan(1e-6 * out.fd_unknown);
    expect(out.kid).toBeNull();
    expect(out.provenance.inputs.real.kind).toBe('statistics');
  });

  it('--save-real-stats writes statistics that give the same FID when passed back as --real', () => {
    const saved = file('real-stats.json');
    const a = run('--real', join(FIX, 'correlated.real.npy'), '--fake', join(FIX, 'correlated.fake.npy'), '--metrics', 'fid', '--save-real-stats', saved, '--json');
    expect(a.code, a.stderr).toBe(0);
    const b = run('--real', saved, '--fake', join(FIX, 'correlated.fake.npy'), '--json');
    expect(b.code, b.stderr).toBe(0);
    const first = JSON.parse(a.stdout.trim());
    const second = JSON.parse(b.stdout.trim());
    expect(second.fd_unknown).toBe(first.fd_unknown);
    expect(JSON.parse(readFileSync(saved, 'utf8')).provenance).toMatchObject({ extractor: { id: 'unknown' }, input: { kind: 'features' } });
  });

  it('extracts features from dataset folders with --extractor pixels-rp64', async () => {
    for (const [name, seed] of [['real', 1], ['fake', 2]] as const) {
      const w = await DatasetWriter.create({ dir: file(name), size: 8 });
      for (let i = 0; i < 12; i++) {
        const px = new Uint8Array(8 * 8 * 3).map((_, j) => (j * (i + 3) * seed + i) % 256);
        await w.append(px, { id: `${name}${i}`, patient: `${name}${i}`, label: 0, sha256: (name + i).padEnd(64, '0').replace(/[^0-9a-f]/g, 'a').slice(0, 64) });
      }
      await w.finish({ name, labels: ['all'], source: { kind: 'generated' }, split: { kind: 'none' }, tenants: null });
    }
    const r = run('--real', file('real'), '--fake', file('fake'), '--extractor', 'pixels-rp64', '--metrics', 'fid,pr,dc,auth', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.fid).toBeNull();
    expect(out.fd_pixels_rp64).toEqual(expect.any(Number));
    expect(out.provenance).toMatchObject({ extractor: { id: 'pixels-rp64', inputSize: 16, resize: 'pil-bicubic', hash: expect.stringMatching(/^[0-9a-f]{64}$/) }, imageSize: 8, nReal: 12 });
    expect(out.provenance.inputs.real.kind).toBe('dataset');
    // The default space is Inception-2015, which refuses images below 16².
    const tiny = run('--real', file('real'), '--fake', file('fake'));
    expect(tiny.code).toBe(2);
    expect(tiny.stderr).toMatch(/images are 8×8; the feature networks need at least 16×16/);
  });

  it('scores dataset folders in Inception-2015 space by default (sg2ada), FID named fid, preprocessing recorded', async () => {
    const real = await dataset('real16', 16, 3, 1);
    const fake = await dataset('fake16', 16, 3, 5);
    const r = run('--real', real, '--fake', fake, '--metrics', 'fid,kid,pr', '--k', '1', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.fid).toBeGreaterThan(0);
    expect(out.kid).toEqual(expect.any(Number));
    expect(out.provenance.extractor).toMatchObject({ id: 'inception-2015', preprocessing: 'sg2ada', resize: 'torch-bilinear', inputSize: 299, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(out.details.precisionRecallSpace).toMatch(/VGG16 fc2/);
    const clean = run('--real', real, '--fake', fake, '--metrics', 'fid', '--preprocessing', 'clean', '--json');
    expect(JSON.parse(clean.stdout.trim().split('\n').pop()!).provenance.extractor).toMatchObject({ preprocessing: 'clean', resize: 'pil-bicubic' });
  });

  it('exits 2 with the fix when the model is not provisioned, and on sets of different sizes', async () => {
    const real = await dataset('real16b', 16, 3, 1);
    const other = await dataset('fake32', 32, 3, 5);
    const missing = runWith({ DERMAGAN_CACHE: mkdtempSync(join(tmpdir(), 'no-models-')) }, '--real', real, '--fake', real, '--metrics', 'fid');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/model inception-2015 is not provisioned.*npm run setup/);
    expect(missing.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const mixed = run('--real', real, '--fake', other, '--metrics', 'fid');
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/--real holds 16×16 images but --fake 32×32/);
  });

  describe('bad input exits 2 with a clear message', () => {
    it('a missing file', () => {
      const r = run('--real', file('absent.npy'), '--fake', join(FIX, 'memorised.fake.npy'));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--real .*absent\.npy: no such file or folder \(ENOENT\)/);
    });

    it('wrong dimensions (3-D) and a non-float dtype', async () => {
      await writeNpy(file('3d.npy'), { dtype: 'float32', shape: [4, 2, 2], data: new Float32Array(16) });
      await writeNpy(file('u8.npy'), { dtype: 'uint8', shape: [10, 2], data: new Uint8Array(20) });
      const a = run('--real', file('3d.npy'), '--fake', join(FIX, 'memorised.fake.npy'));
      expect(a.code).toBe(2);
      expect(a.stderr).toMatch(/must be a 2-D \[n, d\] array, got shape \[4, 2, 2\]/);
      const b = run('--real', file('u8.npy'), '--fake', join(FIX, 'memorised.fake.npy'));
      expect(b.code).toBe(2);
      expect(b.stderr).toMatch(/must be float32 or float64, got uint8/);
    });

    it('a NaN', async () => {
      const data = new Float64Array(20 * 12);
      data[5 * 12 + 7] = NaN;
      await writeNpy(file('nan.npy'), { dtype: 'float64', shape: [20, 12], data });
      const r = run('--real', join(FIX, 'memorised.real.npy'), '--fake', file('nan.npy'));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/fake features: value at row 5, column 7 is NaN/);
    });

    it('mismatched widths', () => {
      const r = run('--real', join(FIX, 'memorised.real.npy'), '--fake', join(FIX, 'correlated.fake.npy'));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--real has 12-d features but --fake has 32-d/);
    });

    it('fewer samples than k + 1', async () => {
      await writeNpy(file('three.npy'), { dtype: 'float64', shape: [3, 12], data: new Float64Array(36).map((_, i) => i) });
      const r = run('--real', join(FIX, 'memorised.real.npy'), '--fake', file('three.npy'), '--metrics', 'pr');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/3 samples, but the requested metrics need at least 4/);
    });

    it('an unknown metric name', () => {
      const r = run('--real', join(FIX, 'memorised.real.npy'), '--fake', join(FIX, 'memorised.fake.npy'), '--metrics', 'fid,is');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--metrics must be a comma-separated list of fid, kid, pr, dc, auth/);
    });
  });
});
