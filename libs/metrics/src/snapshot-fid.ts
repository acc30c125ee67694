/**
 * FID of generator snapshots against one real set (NVlabs `fid50k_full` during training, here
 * `fid<N>k`): the real set's statistics are computed once and cached on disk per dataset
 * fingerprint + selection + feature space + preprocessing (mu, sigma, n and their provenance), so
 * scoring a snapshot extracts only the fake images' features.
 *
 * Cache files: `${DERMAGAN_CACHE}/fid-stats/<key>.npz` (mu, sigma, n; numpy-readable) and
 * `<key>.json` (the provenance); the key is a sha256 of everything that changes the numbers.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dermaganCache } from '@dermagan/pretrained';
import type { Tf } from '@dermagan/tf';
import { createCompute } from './compute.ts';
import { MetricInputError } from './features-matrix.ts';
import { extractFeatures, type FeatureExtractor } from './features.ts';
import { frechetDistance } from './fid.ts';
import { inception2015Extractor } from './extractors/inception-2015.ts';
import { DEFAULT_PREPROCESSING, type Preprocessing } from './networks/preprocess.ts';
import { extractorProvenance, type ExtractorProvenance } from './provenance.ts';
import { featureStatistics, type FeatureStatistics } from './statistics.ts';
import { readStatistics, writeStatistics } from './stats-io.ts';
import { DERMAGAN_VERSION } from '@dermagan/contracts';

/** The real images a snapshot is compared with. */
export interface RealSet {
  /** uint8 NHWC RGB [n, size, size, 3]. */
  pixels: Uint8Array;
  n: number;
  size: number;
  /** The dataset manifest's fingerprint. */
  fingerprint: string;
  /** Which images of it (e.g. "split=train,class=1"); part of the cache key. */
  selection: string;
}

/** Where the real statistics came from, recorded with every snapshot score. */
export interface RealStatisticsProvenance {
  fingerprint: string;
  selection: string;
  n: number;
  imageSize: number;
  extractor: ExtractorProvenance;
  cacheKey: string;
  dermaganVersion: string;
}

export interface SnapshotFid {
  readonly real: FeatureStatistics;
  readonly realProvenance: RealStatisticsProvenance;
  /** Whether the real statistics were read from the cache. */
  readonly cached: boolean;
  /** FID of fake images (uint8 NHWC, the real set's size) against the real statistics. */
  score(pixels: Uint8Array, n: number, size: number): Promise<{ fid: number; n: number; provenance: { extractor: ExtractorProvenance; real: RealStatisticsProvenance; nFake: number } }>;
  dispose(): void;
}

export interface SnapshotFidOptions {
  /** Preprocessing before Inception-2015 (default `sg2ada`). */
  preprocessing?: Preprocessing;
  /** The extractor (default: Inception-2015 with `preprocessing`). */
  extractor?: FeatureExtractor;
  /** Folder of cached statistics (default `${DERMAGAN_CACHE}/fid-stats`). */
  cacheDir?: string;
  /** Called while the real features are extracted (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** The cache key: everything that changes the real statistics. */
export function realStatisticsKey(real: Pick<RealSet, 'fingerprint' | 'selection' | 'size'>, extractor: ExtractorProvenance): string {
  return createHash('sha256')
    .update(JSON.stringify({ v: 1, fingerprint: real.fingerprint, selection: real.selection, size: real.size, extractor }))
    .digest('hex')
    .slice(0, 32);
}

export async function createSnapshotFid(tf: Tf, real: RealSet, options: SnapshotFidOptions = {}): Promise<SnapshotFid> {
  if (real.n < 2) throw new MetricInputError(`snapshot FID: the real set has ${real.n} images; FID needs at least 2`);
  const extractor = options.extractor ?? (await inception2015Extractor(tf, { preprocessing: options.preprocessing ?? DEFAULT_PREPROCESSING }));
  const space = extractorProvenance(extractor);
  const compute = await createCompute('tf');
  const key = realStatisticsKey(real, space);
  const dir = options.cacheDir ?? join(dermaganCache(), 'fid-stats');
  const npz = join(dir, `${key}.npz`);
  const realProvenance: RealStatisticsProvenance = { fingerprint: real.fingerprint, selection: real.selection, n: real.n, imageSize: real.size, extractor: space, cacheKey: key, dermaganVersion: DERMAGAN_VERSION };
  let stats: FeatureStatistics | undefined;
  let cached = false;
  try {
    const saved = JSON.parse(await readFile(join(dir, `${key}.json`), 'utf8')) as RealStatisticsProvenance;
    const s = await readStatistics(npz);
    if (saved.cacheKey === key && s.n === real.n && s.d === extractor.dim) {
      stats = s;
      cached = true;
    }
  } catch {
    // Not cached yet (or unreadable): computed below and written again.
  }
  if (!stats) {
    const features = await extractFeatures(extractor, real.pixels, real.n, real.size, options.onProgress ? { onProgress: options.onProgress } : {});
    stats = featureStatistics(features, { compute });
    await mkdir(dir, { recursive: true });
    await writeStatistics(npz, stats);
    await writeFile(join(dir, `${key}.json`), `${JSON.stringify(realProvenance, null, 1)}\n`);
  }
  const realStats = stats;
  return {
    real: realStats,
    realProvenance,
    cached,
    async score(pixels, n, size) {
      if (size !== real.size) throw new MetricInputError(`snapshot FID: fake images are ${size}² but the real set is ${real.size}²`);
      if (n < 2) throw new MetricInputError(`snapshot FID: needs at least 2 fake images, got ${n}`);
      const fake = featureStatistics(await extractFeatures(extractor, pixels, n, size), { compute });
      return { fid: frechetDistance(realStats, fake).value, n, provenance: { extractor: space, real: realProvenance, nFake: n } };
    },
    dispose() {
      if (!options.extractor) extractor.dispose?.();
    },
  };
}

/** `fid5k` for 5000, `fid500` for 500 (NVlabs' names: fid50k_full, fid10k, …). */
export function fidMetricName(n: number): string {
  return n % 1000 === 0 ? `fid${n / 1000}k` : `fid${n}`;
}

/**
 * A snapshot metric for the training loop (@dermagan/gan `SnapshotScorer`, by shape): FID of `n`
 * generated images against the real set's cached statistics.
 */
export async function snapshotFidScorer(tf: Tf, real: RealSet, n: number, options: SnapshotFidOptions = {}) {
  const fid = await createSnapshotFid(tf, real, options);
  return {
    name: fidMetricName(n),
    n,
    async score(pixels: Uint8Array, count: number, size: number) {
      const r = await fid.score(pixels, count, size);
      return { value: r.fid, provenance: { ...r.provenance, realStatisticsCached: fid.cached } as Record<string, unknown> };
    },
    dispose: () => fid.dispose(),
  };
}
