/**
 * `dermagan metrics`: score fake samples against real ones — FID (or the Fréchet distance in another
 * feature space), KID, precision/recall, density/coverage, α-precision/β-recall/authenticity —
 * from feature files (.npy, [n, d] float32/float64), dataset folders (features extracted here with
 * `--extractor`), or, for the real side of FID, stored statistics (.npz / .json of mu, sigma).
 * A thin wrapper over `evaluateFeatures()` in @dermagan/metrics.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { DatasetError, pixelChunks, readManifest, selectImages } from '@dermagan/dataset';
import {
  createCompute,
  createExtractor,
  DEFAULT_EXTRACTOR,
  DEFAULT_PREPROCESSING,
  DEFAULTS,
  extractorProvenance,
  INCEPTION_2015_ID,
  isPreprocessing,
  PREPROCESSING_MODES,
  evaluateFeatures,
  EXTRACTOR_IDS,
  extractFeaturesFrom,
  featureStatistics,
  featureMatrix,
  METRIC_NAMES,
  MetricInputError,
  minimumSamplesFor,
  ModelLoadError,
  readStatistics,
  writeStatistics,
  UNKNOWN_EXTRACTOR,
  ZipError,
  type ComputeMode,
  type EvaluateOptions,
  type ExtractorProvenance,
  type FeatureExtractor,
  type FeatureMatrix,
  type FeatureStatistics,
  type InputProvenance,
  type MetricName,
  type Preprocessing,
} from '@dermagan/metrics';
import { decodeNpy, NpyError } from '@dermagan/npy';
import { checkOutputFile } from '@dermagan/safe-io';
import { UserError, positiveInt, printJson, progress } from '../output.ts';

/** `--metrics fid,kid` → the names, checked. */
export function parseMetrics(value: string): MetricName[] {
  const names = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const bad = names.filter((n) => !(METRIC_NAMES as readonly string[]).includes(n));
  if (names.length === 0 || bad.length > 0) {
    throw new UserError(`--metrics must be a comma-separated list of ${METRIC_NAMES.join(', ')}; got "${value}"`);
  }
  return [...new Set(names)] as MetricName[];
}

function integer(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new UserError(`${flag} must be an integer, got "${value}"`);
    return n;
  };
}

interface MetricsFlags {
  real: string;
  fake: string;
  metrics: MetricName[];
  kidSubsets: number;
  kidSubsetSize: number;
  kidSeed: number;
  k: number;
  dcK: number;
  extractor?: string;
  preprocessing: Preprocessing;
  model?: string;
  featuresFrom?: string;
  compute: ComputeMode | 'auto';
  saveRealStats?: string;
  json?: boolean;
}

/** One side of the comparison, loaded. */
interface Side {
  features?: FeatureMatrix;
  statistics?: FeatureStatistics;
  input: InputProvenance;
  imageSize?: number;
}

/** Anything the library says about bad input becomes a UserError (exit 2) with the same words. */
function asUserError(err: unknown): never {
  if (err instanceof MetricInputError || err instanceof NpyError || err instanceof DatasetError || err instanceof ZipError) {
    throw new UserError(err.message);
  }
  if (err instanceof ModelLoadError && !err.retriable) throw new UserError(err.message);
  throw err;
}

async function loadFeatureFile(flag: string, path: string): Promise<Side> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new UserError(`${flag} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const array = decodeNpy(bytes, path);
  if (array.dtype !== 'float32' && array.dtype !== 'float64') {
    throw new UserError(`${flag} ${path}: features must be float32 or float64, got ${array.dtype}`);
  }
  if (array.shape.length !== 2) {
    throw new UserError(`${flag} ${path}: features must be a 2-D [n, d] array, got shape [${array.shape.join(', ')}]`);
  }
  const features = featureMatrix(array.data as Float32Array | Float64Array, array.shape);
  return { features, input: { source: path, sha256: createHash('sha256').update(bytes).digest('hex'), kind: 'features' } };
}

async function loadSide(flag: string, path: string, getExtractor: () => Promise<FeatureExtractor>): Promise<Side> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new UserError(`${flag} ${path}: no such file or folder (${(err as NodeJS.ErrnoException).code})`);
  }
  if (info.isDirectory()) {
    const extractor = await getExtractor();
    const manifest = await readManifest(path);
    const entries = selectImages(manifest);
    const n = entries.length;
    if (n === 0) throw new UserError(`${flag} ${path}: the dataset has no images`);
    const bar = progress(`features ${flag.replace('--', '')}`, n);
    // A chunk of images at a time: a 50k-image set costs its features, not its pixels.
    const features = await extractFeaturesFrom(extractor, pixelChunks(path, manifest, entries), n, manifest.size, { onProgress: (done) => bar.update(done) });
    bar.stop();
    return { features, input: { source: path, sha256: manifest.fingerprint, kind: 'dataset' }, imageSize: manifest.size };
  }
  if (path.endsWith('.npz') || path.endsWith('.json')) {
    const statistics = await readStatistics(path);
    const bytes = await readFile(path);
    return { statistics, input: { source: path, sha256: createHash('sha256').update(bytes).digest('hex'), kind: 'statistics' } };
  }
  if (!path.endsWith('.npy')) throw new UserError(`${flag} ${path}: expected a .npy feature file, a dataset folder, or (real side) a .npz/.json statistics file`);
  return loadFeatureFile(flag, path);
}

/** Multiply-adds of the float64 path, to pick `tf` when plain JavaScript would take long. */
function estimatedWork(real: Side, fake: Side, options: EvaluateOptions): number {
  const nr = real.features?.rows ?? 0;
  const nf = fake.features?.rows ?? 0;
  const d = (fake.features ?? real.features)?.cols ?? 0;
  const metrics = options.metrics ?? METRIC_NAMES;
  let work = 0;
  if (metrics.includes('fid')) work += ((nr + nf) * d * d) / 2;
  if (metrics.includes('kid')) {
    const m = Math.min(nr, nf, options.kidSubsetSize ?? DEFAULTS.kidSubsetSize);
    work += (options.kidSubsets ?? DEFAULTS.kidSubsets) * 2 * m * m * d;
  }
  if (metrics.some((x) => x === 'pr' || x === 'dc' || x === 'auth')) work += (nr * nr + nf * nf + nr * nf) * d;
  return work;
}

export function registerMetrics(program: Command): void {
  program
    .command('metrics')
    .description('Score fake samples against real ones: FID/Fréchet distance, KID, precision/recall, density/coverage, α-precision/β-recall/authenticity')
    .requiredOption('--real <path>', 'real features (.npy [n, d] float32/float64), a dataset folder (features extracted here, --extractor), or real statistics (.npz/.json, FID only)')
    .requiredOption('--fake <path>', 'fake features (.npy) or a dataset folder')
    .option('--metrics <list>', `comma-separated: ${METRIC_NAMES.join(', ')}`, parseMetrics, [...METRIC_NAMES])
    .option('--kid-subsets <n>', 'KID: number of random subsets', positiveInt('--kid-subsets'), DEFAULTS.kidSubsets)
    .option('--kid-subset-size <n>', 'KID: rows per subset (m = min(n_real, n_fake, this))', positiveInt('--kid-subset-size'), DEFAULTS.kidSubsetSize)
    .option('--kid-seed <n>', 'KID: seed of the subset sampler', integer('--kid-seed'), DEFAULTS.kidSeed)
    .option('--k <n>', 'precision/recall: neighbourhood size', positiveInt('--k'), DEFAULTS.prK)
    .option('--dc-k <n>', 'density/coverage: neighbourhood size', positiveInt('--dc-k'), DEFAULTS.dcK)
    .addOption(new Option('--extractor <id>', `feature extractor for dataset folders (default ${DEFAULT_EXTRACTOR}: the FID graph, provisioned by npm run setup)`).choices([...EXTRACTOR_IDS]))
    .addOption(
      new Option('--preprocessing <mode>', 'inception-2015 preprocessing: sg2ada (the paper\'s code: bilinear to 299, no antialias), clean (clean-fid: antialiased bicubic), tf-legacy (TF1 bilinear)')
        .choices([...PREPROCESSING_MODES])
        .default(DEFAULT_PREPROCESSING),
    )
    .option('--model <uri>', 'model.json URI of the extractor (file://, https://, s3://) for inception-v3-pool3 / vgg16-fc2')
    .option('--features-from <id>', 'the extractor that made the .npy features (e.g. inception-v3-pool3, so the Fréchet distance may be called FID)')
    .addOption(new Option('--compute <mode>', 'float64 (exact, plain JS), tf (native TensorFlow float32 blocks), auto (tf for large inputs)').choices(['auto', 'float64', 'tf']).default('auto'))
    .option('--save-real-stats <path>', 'also write the real statistics (mu, sigma, n) to .npz or .json (json keeps the provenance), for later --real')
    .option('--json', 'print the result as one JSON line on stdout')
    .action(async (flags: MetricsFlags) => {
      try {
        await runMetrics(flags);
      } catch (err) {
        asUserError(err);
      }
    });
}

async function runMetrics(flags: MetricsFlags): Promise<void> {
  if (flags.saveRealStats !== undefined) await checkOutputFile(flags.saveRealStats);

  // Load inputs.
  let extractor: FeatureExtractor | undefined;
  if (!isPreprocessing(flags.preprocessing)) throw new UserError(`--preprocessing must be one of ${PREPROCESSING_MODES.join(', ')}`);
  const getExtractor = async () => {
    extractor ??= await createExtractor(flags.extractor ?? DEFAULT_EXTRACTOR, { modelUri: flags.model, preprocessing: flags.preprocessing });
    return extractor;
  };
  const sizes = await Promise.all([flags.real, flags.fake].map(async (p) => ((await stat(p).catch(() => undefined))?.isDirectory() ? (await readManifest(p)).size : undefined)));
  if (sizes[0] !== undefined && sizes[1] !== undefined && sizes[0] !== sizes[1]) {
    throw new UserError(`--real holds ${sizes[0]}×${sizes[0]} images but --fake ${sizes[1]}×${sizes[1]}: compare sets of one size (resizing one set to the other's changes the score)`);
  }
  const real = await loadSide('--real', flags.real, getExtractor);
  const fake = await loadSide('--fake', flags.fake, getExtractor);
  if (!fake.features) throw new UserError(`--fake ${flags.fake}: statistics files can only stand for the real side; pass fake features or a dataset folder`);
  let metrics = flags.metrics;
  if (real.statistics) {
    const others = metrics.filter((m) => m !== 'fid');
    if (others.length > 0 && metrics.length < METRIC_NAMES.length) {
      throw new UserError(`--real ${flags.real} is a statistics file: only fid can be computed from it, not ${others.join(', ')}`);
    }
    metrics = ['fid'];
  }

  // Which feature space the scores live in.
  let space: ExtractorProvenance = UNKNOWN_EXTRACTOR;
  if (extractor) {
    space = extractorProvenance(extractor);
    if (flags.featuresFrom && (real.input.kind !== 'dataset' || fake.input.kind !== 'dataset')) {
      throw new UserError('--features-from describes .npy feature files; it cannot be mixed with dataset folders extracted here');
    }
    if (real.input.kind !== 'dataset' || fake.input.kind !== 'dataset') {
      throw new UserError(`--real and --fake must both be dataset folders when one is (features from --extractor ${extractor.id} cannot be compared with features of unknown origin)`);
    }
  } else if (flags.featuresFrom) {
    space = { id: flags.featuresFrom, hash: null, inputSize: null, resize: null };
  }

  // Check inputs where they enter: widths, finite values, enough samples.
  const options: EvaluateOptions = {
    metrics,
    kidSubsets: flags.kidSubsets,
    kidSubsetSize: flags.kidSubsetSize,
    kidSeed: flags.kidSeed,
    prK: flags.k,
    dcK: flags.dcK,
    extractor: space,
    inputs: { real: real.input, fake: fake.input },
  };
  if (real.imageSize !== undefined) options.imageSize = real.imageSize;
  if (real.statistics) options.realStatistics = real.statistics;
  const need = minimumSamplesFor(options);
  const realFeatures = real.features ?? fake.features; // FID-from-statistics ignores it
  for (const [flag, side] of [['--real', real], ['--fake', fake]] as const) {
    if (side.features && side.features.rows < need) {
      throw new UserError(`${flag} ${side.input.source}: ${side.features.rows} samples, but the requested metrics need at least ${need} (k + 1 with k = ${need - 1})`);
    }
  }
  if (real.features && real.features.cols !== fake.features.cols) {
    throw new UserError(`--real has ${real.features.cols}-d features but --fake has ${fake.features.cols}-d; both must come from the same extractor`);
  }
  if (real.statistics && real.statistics.d !== fake.features.cols) {
    throw new UserError(`--real statistics are ${real.statistics.d}-d but --fake features are ${fake.features.cols}-d`);
  }

  // Compute.
  const mode: ComputeMode = flags.compute === 'auto' ? (estimatedWork(real, fake, options) > 2e10 ? 'tf' : 'float64') : flags.compute;
  options.compute = await createCompute(mode);
  if (flags.saveRealStats) {
    if (!real.features) throw new UserError('--save-real-stats needs real features or a dataset folder as --real, not a statistics file');
    if (!/\.(npz|json)$/.test(flags.saveRealStats)) throw new UserError(`--save-real-stats must end in .npz or .json, got "${flags.saveRealStats}"`);
    options.realStatistics = featureStatistics(real.features, { compute: options.compute });
  }
  const report = evaluateFeatures(realFeatures, fake.features, options);
  extractor?.dispose?.();
  if (flags.saveRealStats && options.realStatistics) {
    await writeStatistics(flags.saveRealStats, {
      ...options.realStatistics,
      provenance: { extractor: space, input: real.input, imageSize: real.imageSize ?? null, compute: mode, dermaganVersion: report.provenance.dermaganVersion },
    });
  }

  // Report.
  if (space.id === INCEPTION_2015_ID && metrics.includes('pr')) {
    const note = 'precision/recall here are in Inception-2015 pool3 space; the paper (NVlabs pr50k3) used VGG16 fc2 features, whose weights are not reachable';
    report.details.precisionRecallSpace = note;
    process.stderr.write(`note: ${note}\n`);
  }
  if (report.frechetKey !== 'fid' && metrics.includes('fid')) {
    process.stderr.write(
      `note: the features are not Inception-v3 pool3 (extractor: ${space.id}), so the Fréchet distance is reported as ` +
        `"${report.frechetKey}", not "fid"${space.id === 'unknown' ? '; pass --features-from inception-v3-pool3 if they are' : ''}\n`,
    );
  }
  if (flags.json) {
    printJson({ ...report.scores, provenance: report.provenance, details: report.details });
    return;
  }
  const width = Math.max(...Object.keys(report.scores).map((k) => k.length));
  for (const [key, value] of Object.entries(report.scores)) {
    if (value === null) continue;
    process.stdout.write(`${key.padEnd(width)}  ${value.toPrecision(8)}\n`);
  }
  const p = report.provenance;
  process.stdout.write(
    `\n${p.nReal} real vs ${p.nFake} fake, ${p.featureDim}-d features from ${p.extractor.id}` +
      `${p.extractor.resize ? ` (${p.extractor.preprocessing ? `${p.extractor.preprocessing}: ` : ''}resize ${p.extractor.resize} to ${p.extractor.inputSize})` : ''}, compute ${p.compute}, dermagan ${p.dermaganVersion}\n`,
  );
}

