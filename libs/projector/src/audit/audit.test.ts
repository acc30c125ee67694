/**
 * The privacy audit end to end at 16² on the demo sample: a generator that memorised six training
 * images (testing.ts `memorisingGenerator`: class j renders image j) is caught — attack AUC near 1,
 * its copies flagged, authenticity 0; audited against images it never saw, the attack learns
 * nothing (AUC near 0.5, its CI holding 0.5) and hardly a copy is flagged; the CSV gives the AUC back.
 * Plus the pure parts: the attack's numbers and the copy rule.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rocAuc } from '@dermagan/classifier';
import { openDataset } from '@dermagan/dataset';
import { FolderCheckpointSink, loadGenerator, type LoadedGenerator } from '@dermagan/gan';
import { ingest } from '@dermagan/ingest';
import { createExtractor, featureMatrix } from '@dermagan/metrics';
import { loadTf, type Tf } from '@dermagan/tf';
import { lpipsFeatures } from '../lpips-features.ts';
import { projectorOptions } from '../options.ts';
import { pixelFeatures } from '../perceptual.ts';
import { memorisingGenerator, relabelledDataset } from '../testing.ts';
import { auditGenerator, AUDIT_FILES } from './audit.ts';
import { likelyCopies } from './copies.ts';
import { membershipAttack, tprAtFpr } from './membership.ts';

const DEMO = fileURLToPath(new URL('../../../../data/demo/metadata.csv', import.meta.url));
let tf: Tf;
let root: string;
let loaded: LoadedGenerator;
const at = (name: string) => join(root, name);

beforeAll(async () => {
  tf = (await loadTf()).tf;
  root = await mkdtemp(join(tmpdir(), 'audit-'));
  await ingest({ data: DEMO, out: at('demo16'), size: 16, split: 0.8 });
  const train = await openDataset(at('demo16'), { split: 'train' });
  const test = await openDataset(at('demo16'), { split: 'test' });
  const per = 16 * 16 * 3;
  const names = await memorisingGenerator(tf, train.pixels.slice(0, 6 * per), 16, new FolderCheckpointSink(at('memoriser')));
  loaded = await loadGenerator(tf, new FolderCheckpointSink(at('memoriser')));
  // The memoriser's classes are its members: every audited image gets one of them.
  // (Unseen images come from other patients than the memorised ones: HAM10000 has several images per lesion.)
  const memorised = train.entries.slice(0, 6);
  const others = train.entries.filter((e) => !memorised.some((m) => m.patient === e.patient));
  const ids = (entries: typeof memorised) => entries.map((e) => e.id);
  await relabelledDataset(at('demo16'), ids(memorised), names, at('members'));
  await relabelledDataset(at('demo16'), ids(test.entries.slice(0, 6)), names, at('outsiders'));
  await relabelledDataset(at('demo16'), ids(others.slice(0, 12)), names, at('unseen-a'));
  await relabelledDataset(at('demo16'), ids(test.entries.slice(6, 18)), names, at('unseen-b'));
}, 300_000);
afterAll(async () => {
  loaded?.G.ps.dispose();
  await rm(root, { recursive: true, force: true });
});

describe('auditGenerator', () => {
  it('catches a generator that memorised its training images: AUC near 1, copies flagged, authenticity 0', async () => {
    const perceptual = await lpipsFeatures(tf);
    const inception = await createExtractor('inception-2015');
    const out = join(root, 'audit-memorised');
    const result = await auditGenerator(tf, {
      loaded,
      members: { data: at('members'), selection: {} },
      nonMembers: { data: at('outsiders'), selection: {} },
      out,
      projector: projectorOptions({ steps: 100, batch: 12, wAvgSamples: 1000 }),
      perceptual,
      spaces: [inception],
      generated: 12,
      membership: { resamples: 200 },
    });
    expect(result.stopped).toBe('done');
    expect(result.membership!.auc).toBeGreaterThanOrEqual(0.95);
    expect(result.membership!.ci.low).toBeGreaterThan(0.5);
    expect(result.copiesFlagged).toBeGreaterThanOrEqual(8); // of 12 samples, all renderings of a member
    const lpips = result.spaces.find((s) => s.space === 'lpips-vgg16')!;
    expect(lpips.authenticity).toBe(0);
    expect(result.spaces.map((s) => s.space)).toEqual(['lpips-vgg16', 'inception-2015']);
    expect(result.spaces[1]!.flagged).toBeGreaterThan(0); // Inception (on 16² images blown up to 299²) sees some too

    // distances.csv gives the AUC back; the grids and neighbour lists are written.
    const lines = (await readFile(join(out, AUDIT_FILES.distances), 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('id,member,distance');
    const cells = lines.slice(1).map((l) => l.split(','));
    expect(rocAuc(cells.map((c) => Number(c[1])), cells.map((c) => -Number(c[2])))).toBeCloseTo(result.membership!.auc, 12);
    for (const s of result.spaces) {
      expect((await stat(join(out, s.files.grid))).size).toBeGreaterThan(100);
      expect((await readFile(join(out, s.files.nearest), 'utf8')).trim().split('\n')).toHaveLength(13);
    }
    // Each closest pair's training picture is the training image it names.
    const members = await openDataset(at('members'));
    for (const [i, pair] of lpips.closest.entries()) {
      const row = members.entries.findIndex((e) => e.id === pair.training);
      const png = await sharp(await readFile(join(out, lpips.files.pairs[i]!.training))).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const scale = png.info.width / 16; // upscaled with the nearest neighbour: every scale-th pixel is the image's
      const shown = Uint8Array.from({ length: 16 * 16 * 3 }, (_, k) => png.data[((Math.floor(k / 48) * scale) * png.info.width + Math.floor((k % 48) / 3) * scale) * 3 + (k % 3)]!);
      expect(shown).toEqual(members.pixels.subarray(row * 16 * 16 * 3, (row + 1) * 16 * 16 * 3));
    }
    perceptual.dispose?.();
    inception.dispose?.();
  }, 600_000);

  it('against images it never saw the attack learns nothing: AUC near 0.5, hardly a flag', async () => {
    const result = await auditGenerator(tf, {
      loaded,
      members: { data: at('unseen-a'), selection: {} },
      nonMembers: { data: at('unseen-b'), selection: {} },
      out: join(root, 'audit-unseen'),
      projector: projectorOptions({ steps: 60, batch: 12, wAvgSamples: 1000 }),
      perceptual: pixelFeatures(tf),
      generated: 12,
      membership: { resamples: 200 },
    });
    const m = result.membership!;
    expect(Math.abs(m.auc - 0.5)).toBeLessThan(0.3);
    expect(m.ci.low).toBeLessThan(0.5);
    expect(m.ci.high).toBeGreaterThan(0.5);
    // With 12 training images the 1st percentile is about their smallest neighbour distance, which an
    // image of the same distribution undercuts about 1 time in 13: a flag or two, not the memoriser's 8+.
    expect(result.copiesFlagged).toBeLessThanOrEqual(2);
  }, 600_000);

  it('refuses members that are also non-members', async () => {
    await expect(
      auditGenerator(tf, {
        loaded,
        members: { data: at('members'), selection: {} },
        nonMembers: { data: at('members'), selection: { n: 2 } },
        out: join(root, 'audit-overlap'),
        projector: projectorOptions({ steps: 2 }),
        perceptual: pixelFeatures(tf),
      }),
    ).rejects.toThrow(/2 images are both members and non-members/);
  });
});

describe('membershipAttack', () => {
  const row = (id: string, member: boolean, distance: number, patient = id) => ({ id, patient, member, distance });

  it('AUC of −distance, TPR at low FPR, and whether the non-members resolve that FPR', () => {
    const rows = [row('a', true, 0.1), row('b', true, 0.3), row('c', false, 0.2), row('d', false, 0.4), row('e', false, 0.5)];
    const m = membershipAttack(rows, { resamples: 50 });
    expect(m.auc).toBeCloseTo(5 / 6, 12); // pairs (member closer): a beats c,d,e; b beats d,e
    expect(m.tprAtFpr).toEqual([
      { fpr: 0.01, tpr: 0.5, resolved: false },
      { fpr: 0.001, tpr: 0.5, resolved: false },
    ]);
    expect(tprAtFpr([1, 1, 0, 0], [-0.1, -0.3, -0.2, -0.4], 0.5)).toBe(1);
    expect(m).toMatchObject({ members: 2, nonMembers: 3, patients: 5 });
  });

  it('resamples patients, not images: one patient’s images move together', () => {
    // Patient p has every member image: each resample either has all of them or none.
    const rows = [row('a', true, 0.1, 'p'), row('b', true, 0.1, 'p'), row('c', false, 0.2, 'q'), row('d', false, 0.3, 'r')];
    const m = membershipAttack(rows, { resamples: 200, seed: 3 });
    expect(m.ci.used).toBeLessThan(200); // resamples without patient p (or with only p) have no AUC
    expect(m.ci.low).toBe(1);
  });

  it('throws without both sets or with a missing distance', () => {
    expect(() => membershipAttack([row('a', true, 0.1)])).toThrow(/needs members and non-members/);
    expect(() => membershipAttack([row('a', true, NaN), row('b', false, 1)])).toThrow(/a has no finite projection distance/);
  });
});

describe('likelyCopies', () => {
  it('flags generated rows closer to a training row than the 1st percentile of training-to-training distances', () => {
    // Training points on a line 1 apart (real-to-real: all 1); generated: one near-copy, one in between.
    const training = featureMatrix(Float64Array.of(0, 1, 2, 3, 4), [5, 1]);
    const generated = featureMatrix(Float64Array.of(2.01, 3.5, -1), [3, 1]);
    const c = likelyCopies('line', generated, training, false);
    expect(c.threshold).toBeCloseTo(1, 12);
    expect(Array.from(c.nearest.index)).toEqual([2, 3, 0]);
    expect(Array.from(c.nearest.distance).map((d) => +d.toFixed(6))).toEqual([0.01, 0.5, 1]);
    expect(c.flagged).toEqual([0, 1]);
    // Perceptual features: squared distances are the distance.
    expect(likelyCopies('p', generated, training, true).nearest.distance[1]).toBeCloseTo(0.25, 12);
  });
});
