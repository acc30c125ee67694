/**
 * The privacy audit of one generator: can it give a patient's image away?
 *
 *   1. membership inference: project training images (members) and held-out images of the same
 *      distribution (non-members); the projection distance is the attacker's score
 *      (membership.ts), overall and per federation tenant;
 *   2. likely copies: N generated images against the training images in each feature space
 *      (LPIPS, Inception, the classifier's embedding), the closest pairs as grids (copies.ts);
 *   3. authenticity (Alaa et al., libs/metrics) in the same spaces, read beside both.
 *
 * Everything lands in one output folder (claimed like a projection's: a rerun continues the
 * projections where they stopped): members/ and non-members/ (projections), distances.csv
 * (`id,member,distance`), nearest-<space>.csv, closest-<space>.png, audit.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DERMAGAN_VERSION } from '@dermagan/contracts';
import { loadImages, pixelChunks, readManifest, selectImages, type DatasetManifest, type ImageEntry } from '@dermagan/dataset';
import { generateImages, type LoadedGenerator } from '@dermagan/gan';
import { alphaBetaAuthenticity, extractFeatures, extractFeaturesFrom, type FeatureExtractor, type FeatureMatrix } from '@dermagan/metrics';
import type { Tf } from '@dermagan/tf';
import { claimFolder } from '../claim-folder.ts';
import { csvText } from '../csv.ts';
import { ProjectorError } from '../errors.ts';
import { generatorFingerprint, resultOptions } from '../job-file.ts';
import type { ProjectorOptions } from '../options.ts';
import type { PerceptualFeatures } from '../perceptual.ts';
import type { ProjectionProgress } from '../project.ts';
import { projectDataset, spread, type ProjectionSummary, type Spread } from '../project-dataset.ts';
import type { Selection } from '../selection.ts';
import type { StateStore } from '../state-store.ts';
import { perceptualExtractor } from '../spaces.ts';
import { closestPairs, COPY_RULE, likelyCopies, type SpaceCopies } from './copies.ts';
import { membershipAttack, type MembershipAttack, type MembershipOptions, type MembershipRow } from './membership.ts';
import { imagePng, pairGridPng } from './pair-grid.ts';
import { sampleIds } from './sample.ts';

export const AUDIT_FORMAT = 'dermagan.audit/v1';
export const AUDIT_FILES = { marker: 'audit-job.json', result: 'audit.json', distances: 'distances.csv', members: 'members', nonMembers: 'non-members' } as const;

export interface ImageSource {
  /** Dataset folder. */
  data: string;
  /** How messages name it (default: the folder). */
  name?: string;
  /** Which of its images (split, classes, tenant; `n` draws a seeded sample of them). */
  selection: Selection;
}

export interface AuditOptions {
  loaded: LoadedGenerator;
  /** The generator's training images: the first n (seeded sample) are projected; all are searched for copies. */
  members: ImageSource;
  /** Images of the same distribution it never saw (default n: as many as members projected). */
  nonMembers: ImageSource;
  out: string;
  projector: ProjectorOptions;
  perceptual: PerceptualFeatures;
  /** Feature spaces besides the perceptual one for the copy search (Inception, the classifier). */
  spaces?: FeatureExtractor[];
  /** The classifier embedding, for the projections' cosine distances. */
  classifier?: FeatureExtractor;
  /** Generated images searched for copies (default 256). */
  generated?: number;
  /** Seed of the generated images and of the samples (default 0). */
  seed?: number;
  /** Closest pairs per grid (default 8). */
  pairs?: number;
  membership?: MembershipOptions;
  /** Bound on the features held for one space's copy search, bytes (default 2 GiB). */
  featureBudgetBytes?: number;
  /** Where the projections keep per-image states (default: their folders' state/). */
  states?: (part: 'members' | 'non-members') => StateStore;
  onProgress?: (stage: string, progress: ProjectionProgress | { done: number; total: number }) => void;
  signal?: AbortSignal;
}

export interface SpaceSummary {
  space: string;
  metric: SpaceCopies['metric'];
  threshold: number;
  flagged: number;
  /** Generated → nearest training image, and training → nearest other training image. */
  nearest: Spread;
  realToReal: Spread;
  authenticity: number;
  closest: Array<{ generated: string; training: string; distance: number }>;
  /** Relative to the audit folder: the neighbour list, the grid, and each closest pair's two images. */
  files: { nearest: string; grid: string; pairs: Array<{ generated: string; training: string }> };
}

export interface TenantAudit {
  tenant: string;
  membership: MembershipAttack;
  /** Likely copies of this tenant's images, per space. */
  flagged: Record<string, number>;
}

export interface AuditResult {
  out: string;
  stopped: 'done' | 'aborted';
  membership: MembershipAttack | null;
  projections: { members: ProjectionSummary; nonMembers: ProjectionSummary };
  /** The perceptual space's count (the headline) and the rule. */
  copiesFlagged: number | null;
  copyRule: string;
  spaces: SpaceSummary[];
  byTenant: TenantAudit[];
  generated: number;
  /** For histograms: projection distances by membership, and nearest distances by space. */
  histograms: {
    members: number[];
    nonMembers: number[];
    spaces: Record<string, { generated: number[]; realToReal: number[] }>;
  };
}

interface Loaded {
  manifest: DatasetManifest;
  entries: ImageEntry[];
}

async function select(source: ImageSource, what: string): Promise<Loaded> {
  const manifest = await readManifest(source.data);
  const { n: _n, ids, ...filters } = source.selection;
  let entries = selectImages(manifest, {
    ...(filters.split ? { split: filters.split } : {}),
    ...(filters.classes ? { labels: filters.classes } : {}),
    ...(filters.tenant ? { tenant: filters.tenant } : {}),
  });
  if (ids) {
    const wanted = new Set(ids);
    entries = entries.filter((e) => wanted.has(e.id));
  }
  if (entries.length === 0) throw new ProjectorError(`no ${what} images are selected in ${source.name ?? source.data}`);
  return { manifest, entries };
}

/** Per-class counts of `n` generated images, proportional to the training images' classes. */
function classCounts(loaded: LoadedGenerator, training: readonly ImageEntry[], n: number): Array<{ label: number | undefined; n: number }> {
  if (loaded.G.cfg.cDim === 0) return [{ label: undefined, n }];
  const counts = new Map<number, number>();
  for (const e of training) counts.set(e.label, (counts.get(e.label) ?? 0) + 1);
  const classes = [...counts.keys()].sort((a, b) => a - b);
  const out = classes.map((c) => ({ label: c as number | undefined, n: Math.floor((n * counts.get(c)!) / training.length) }));
  for (let k = 0; out.reduce((s, c) => s + c.n, 0) < n; k++) out[k % out.length]!.n++;
  return out.filter((c) => c.n > 0);
}

export async function auditGenerator(tf: Tf, o: AuditOptions): Promise<AuditResult> {
  const seed = o.seed ?? 0;
  const nGenerated = o.generated ?? 256;
  const G = o.loaded.G;

  // Who is audited: the training images (all searched for copies, a sample projected) and the non-members.
  const training = await select(o.members, 'member');
  const outsiders = await select(o.nonMembers, 'non-member');
  const memberIds = sampleIds(training.entries, o.members.selection.n, seed);
  const nonMemberIds = sampleIds(outsiders.entries, o.nonMembers.selection.n ?? memberIds.length, seed + 1);
  const overlap = new Set(memberIds.filter((id) => nonMemberIds.includes(id)));
  if (training.manifest.fingerprint === outsiders.manifest.fingerprint && overlap.size > 0) {
    throw new ProjectorError(`${overlap.size} images are both members and non-members (e.g. ${[...overlap][0]}): select disjoint sets (e.g. --members-split train, --non-members-split test)`);
  }

  // Claim the folder.
  const identity = {
    format: AUDIT_FORMAT,
    generator: generatorFingerprint(G),
    members: { dataset: training.manifest.fingerprint, selection: o.members.selection, projected: memberIds },
    nonMembers: { dataset: outsiders.manifest.fingerprint, projected: nonMemberIds },
    projector: resultOptions(o.projector),
    perceptual: o.perceptual.id,
    spaces: (o.spaces ?? []).map((s) => s.id),
    generated: nGenerated,
    seed,
  };
  await claimFolder(o.out, {
    file: AUDIT_FILES.marker,
    format: AUDIT_FORMAT,
    what: "an audit's",
    identity,
    differences: (a, b) => (['generator', 'members', 'nonMembers', 'projector', 'perceptual', 'spaces', 'generated', 'seed'] as const).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])),
  });

  // 1. Membership inference through the projector.
  const project = (source: ImageSource, ids: string[], dir: typeof AUDIT_FILES.members | typeof AUDIT_FILES.nonMembers, stage: string) =>
    projectDataset(tf, {
      ...(o.states ? { states: o.states(dir) } : {}),
      loaded: o.loaded,
      data: source.data,
      ...(source.name ? { dataName: source.name } : {}),
      selection: { ids },
      out: join(o.out, dir),
      options: o.projector,
      perceptual: o.perceptual,
      ...(o.classifier ? { classifier: o.classifier } : {}),
      ...(o.onProgress ? { onProgress: (p: ProjectionProgress) => o.onProgress!(stage, p) } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
  const members = await project(o.members, memberIds, AUDIT_FILES.members, 'project members');
  const nonMembers = members.stopped === 'done' ? await project(o.nonMembers, nonMemberIds, AUDIT_FILES.nonMembers, 'project non-members') : members;
  const empty = { members: [], nonMembers: [], spaces: {} };
  if (members.stopped === 'aborted' || nonMembers.stopped === 'aborted') {
    return { out: o.out, stopped: 'aborted', membership: null, projections: { members, nonMembers }, copiesFlagged: null, copyRule: COPY_RULE, spaces: [], byTenant: [], generated: 0, histograms: empty };
  }
  const tenantOf = new Map(training.entries.map((e) => [e.id, e.tenant]));
  const rows: Array<MembershipRow & { tenant: string | null }> = [
    ...members.rows.map((r) => ({ id: r.id, patient: r.patient, member: true, distance: r.distance, tenant: tenantOf.get(r.id) ?? null })),
    ...nonMembers.rows.map((r) => ({ id: r.id, patient: r.patient, member: false, distance: r.distance, tenant: null })),
  ];
  const membership = membershipAttack(rows, { seed, ...o.membership });
  await writeFile(join(o.out, AUDIT_FILES.distances), csvText(['id', 'member', 'distance'], rows.map((r) => [r.id, r.member ? 1 : 0, r.distance])));

  // 2. Generated images against every training image, per space.
  o.onProgress?.('generate', { done: 0, total: nGenerated });
  const size = G.cfg.resolution;
  const per = size * size * 3;
  const generatedPixels = new Uint8Array(nGenerated * per);
  const generatedIds: string[] = [];
  for (const { label, n } of classCounts(o.loaded, training.entries, nGenerated)) {
    await generateImages(tf, o.loaded, { n, seed: seed + (label ?? 0) * 1_000_000, truncation: 1, ...(label === undefined ? {} : { classes: [label] }) }, (images) => {
      for (const im of images) {
        generatedPixels.set(im.pixels, generatedIds.length * per);
        generatedIds.push(`seed${im.seed}-class${im.label}`);
      }
      o.onProgress?.('generate', { done: generatedIds.length, total: nGenerated });
    });
  }
  // The training images are read a chunk at a time per space (12k at 256² would be 2.4 GB of
  // pixels held); only the closest pairs' are loaded again for their pictures.
  const spaces = [perceptualExtractor(tf, o.perceptual, size, o.projector.maxFeatureSize), ...(o.spaces ?? [])];
  const budget = o.featureBudgetBytes ?? 2 ** 31;
  const summaries: SpaceSummary[] = [];
  const copiesBySpace = new Map<string, SpaceCopies>();
  for (const space of spaces) {
    const bytes = (training.entries.length + nGenerated) * space.dim * 4;
    if (bytes > budget) {
      throw new ProjectorError(
        `the copy search in ${space.id} would hold ${(bytes / 2 ** 30).toFixed(1)} GiB of features (${training.entries.length} training + ${nGenerated} generated images × ${space.dim}); ` +
          `audit fewer members or fewer generated images`,
      );
    }
    o.onProgress?.(`features ${space.id}`, { done: 0, total: 2 });
    const t = await extractFeaturesFrom(space, pixelChunks(o.members.data, training.manifest, training.entries), training.entries.length, size);
    const g = await extractFeatures(space, generatedPixels, nGenerated, size);
    o.onProgress?.(`features ${space.id}`, { done: 2, total: 2 });
    const copies = likelyCopies(space.id, g, t, space.id === o.perceptual.id);
    copiesBySpace.set(space.id, copies);
    const closest = closestPairs(copies, o.pairs ?? 8);
    const name = space.id.replace(/[^a-z0-9-]/gi, '_');
    const files = {
      nearest: `nearest-${name}.csv`,
      grid: `closest-${name}.png`,
      pairs: closest.map((_, i) => ({ generated: `closest-${name}/${i}-generated.png`, training: `closest-${name}/${i}-training.png` })),
    };
    // The closest pairs' training images, row i for pair i.
    const closestTraining = (await loadImages(o.members.data, training.manifest, closest.map((p) => training.entries[p.training]!))).pixels;
    await writeFile(join(o.out, files.grid), await pairGridPng(generatedPixels, closestTraining, closest.map((p, i) => [p.generated, i] as const), size));
    await mkdir(join(o.out, `closest-${name}`), { recursive: true });
    for (const [i, p] of closest.entries()) {
      await writeFile(join(o.out, files.pairs[i]!.generated), await imagePng(generatedPixels, p.generated, size));
      await writeFile(join(o.out, files.pairs[i]!.training), await imagePng(closestTraining, i, size));
    }
    await writeFile(
      join(o.out, files.nearest),
      csvText(
        ['generated', 'nearest_training', 'distance', 'likely_copy'],
        Array.from(copies.nearest.distance, (d, i) => [generatedIds[i]!, training.entries[copies.nearest.index[i]!]!.id, d, d < copies.threshold ? 1 : 0]),
      ),
    );
    summaries.push({
      space: space.id,
      metric: copies.metric,
      threshold: copies.threshold,
      flagged: copies.flagged.length,
      nearest: spread(copies.nearest.distance),
      realToReal: spread(copies.realToReal),
      // 3. Authenticity in the same space.
      authenticity: authenticityOf(t, g),
      closest: closest.map((p) => ({ generated: generatedIds[p.generated]!, training: training.entries[p.training]!.id, distance: p.distance })),
      files,
    });
  }

  // Per tenant (a federated generator): each hospital's members against all non-members, and copies of its images.
  const tenants = [...new Set(training.entries.map((e) => e.tenant).filter((t): t is string => t !== null))].sort();
  const byTenant = tenants.flatMap((tenant): TenantAudit[] => {
    const own = rows.filter((r) => !r.member || r.tenant === tenant);
    if (!own.some((r) => r.member)) return [];
    const flagged = Object.fromEntries(
      [...copiesBySpace].map(([space, c]) => [space, c.flagged.filter((g) => training.entries[c.nearest.index[g]!]!.tenant === tenant).length]),
    );
    return [{ tenant, membership: membershipAttack(own, { seed, ...o.membership }), flagged }];
  });

  const result: AuditResult = {
    out: o.out,
    stopped: 'done',
    membership,
    projections: { members, nonMembers },
    copiesFlagged: copiesBySpace.get(o.perceptual.id)!.flagged.length,
    copyRule: `${COPY_RULE} (counted in the ${o.perceptual.id} space)`,
    spaces: summaries,
    byTenant,
    generated: nGenerated,
    histograms: {
      members: members.rows.map((r) => r.distance),
      nonMembers: nonMembers.rows.map((r) => r.distance),
      spaces: Object.fromEntries([...copiesBySpace].map(([s, c]) => [s, { generated: Array.from(c.nearest.distance), realToReal: Array.from(c.realToReal) }])),
    },
  };
  const { rows: _m, ...membersSummary } = members;
  const { rows: _n, ...nonMembersSummary } = nonMembers;
  await writeFile(
    join(o.out, AUDIT_FILES.result),
    `${JSON.stringify({ ...result, projections: { members: membersSummary, nonMembers: nonMembersSummary }, provenance: { generator: o.loaded.provenance, dermaganVersion: DERMAGAN_VERSION } }, null, 1)}\n`,
  );
  return result;
}

function authenticityOf(training: FeatureMatrix, generated: FeatureMatrix): number {
  return alphaBetaAuthenticity(training, generated).authenticity;
}
