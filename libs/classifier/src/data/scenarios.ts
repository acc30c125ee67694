/**
 * The study's utility scenarios (REFERENCE.md §7.1, PAPER.md Table 2), without its leak:
 * - `real`: train on the real dataset's training side;
 * - `synth`: train on synthetic images only (all of them, or `synthPerClass`);
 * - `real+synth`: real training side plus synthetic images, `synthRatio` per real image or
 *   `synthPerClass` (the paper's "+22k malignant" is perClass [0, 22000]).
 * The test set is always real: the real dataset's `test` split, or all of it when it was ingested
 * with `--split none` (then only `synth` can train). Validation (early stopping, threshold) is
 * carved by patient from the real training side; it comes from the synthetic set only in the
 * `synth` scenario over a real dataset that has no training side. Test images are never read for
 * training, validation or early stopping.
 */
import { readManifest, selectImages, type DatasetManifest, type ImageEntry } from '@dermagan/dataset';
import { ClassifierInputError } from '../errors.ts';
import { UTILITY_SCENARIOS, type UtilityScenario } from '@dermagan/contracts';
import { Rng } from '../rng.ts';
import { classCounts, concatSets, emptySet, loadSet, subset, type ImageSet } from './images.ts';
import { patientGroupedValidation } from './split.ts';

/** What a classifier trains on (the utility contract's list). */
export const SCENARIOS = UTILITY_SCENARIOS;
export type Scenario = UtilityScenario;

export interface ScenarioOptions {
  scenario: Scenario;
  /** Real dataset folder (dermagan format, two labels; label 1 is the positive class). */
  real: string;
  /** Synthetic dataset folder (same format and size), for `synth` and `real+synth`. */
  synthetic?: string;
  /** `real+synth`: synthetic images per real training image (e.g. 1 doubles the set). */
  synthRatio?: number;
  /** Exact synthetic images per class [negatives, positives], drawn without replacement. */
  synthPerClass?: [number, number];
  /** Fraction of the training side's images held out (by patient) for validation. */
  validationFraction: number;
  /** Seed of the validation split and the synthetic sub-sampling. */
  seed: number;
}

/** Class names and the fingerprints of what was read, for provenance. */
export interface ScenarioData {
  train: ImageSet;
  validation: ImageSet;
  test: ImageSet;
  /** The real dataset's class names; index 1 is the positive class. */
  labels: [string, string];
  /** Side of the images as stored. */
  size: number;
  /** Where validation came from. */
  validationSource: 'real-train' | 'synthetic';
  datasets: { real: DatasetRef; synthetic?: DatasetRef };
}

export interface DatasetRef {
  dir: string;
  name: string;
  fingerprint: string;
  kind: DatasetManifest['source']['kind'];
}

function ref(dir: string, m: DatasetManifest): DatasetRef {
  return { dir, name: m.name, fingerprint: m.fingerprint, kind: m.source.kind };
}

/** The real dataset's two class names; errors for a dataset that cannot train a binary classifier. */
export function binaryLabels(dir: string, m: DatasetManifest): [string, string] {
  if (m.labels.length !== 2) {
    throw new ClassifierInputError(
      `${dir} has ${m.labels.length} label(s) (${m.labels.join(', ') || 'none'}); the melanoma classifier needs exactly two, negative first ` +
        `(e.g. benign, malignant). Re-ingest with binary labels.`,
    );
  }
  return [m.labels[0]!, m.labels[1]!];
}

/** The real dataset's test images: the `test` split, or everything when it was ingested without a split. */
export function testEntries(dir: string, m: DatasetManifest): ImageEntry[] {
  const entries = m.split.kind === 'none' ? selectImages(m, { split: 'all' }) : selectImages(m, { split: 'test' });
  if (entries.length === 0) throw new ClassifierInputError(`${dir} has no test images (split ${m.split.kind}); re-ingest with a patient-grouped split`);
  return entries;
}

/** Require both classes in a set; `what` names it in the message. */
export function requireBothClasses(set: ImageSet, what: string, labels: readonly string[]): void {
  const [neg, pos] = classCounts(set.labels);
  if (neg === 0 || pos === 0) {
    throw new ClassifierInputError(
      `${what} has ${neg} ${labels[0]} and ${pos} ${labels[1]} image(s): a class is empty. ` +
        `Both classes are needed; check the dataset's labels or the synthetic set's classes.`,
    );
  }
}

/** Draw synthetic rows: `perClass` exact counts, or `count` from all, without replacement. */
function drawSynthetic(classOf: readonly number[], rng: Rng, request: { count?: number; perClass?: [number, number] }, dir: string, labels: readonly string[]): number[] {
  const rows = rng.shuffle(Array.from({ length: classOf.length }, (_, i) => i));
  if (request.perClass) {
    const picked: number[] = [];
    request.perClass.forEach((want, cls) => {
      const have = rows.filter((r) => classOf[r] === cls);
      if (have.length < want) throw new ClassifierInputError(`${dir} has ${have.length} ${labels[cls]} image(s), ${want} requested by --synth-per-class`);
      picked.push(...have.slice(0, want));
    });
    return picked.sort((a, b) => a - b);
  }
  const count = request.count ?? rows.length;
  if (count > rows.length) throw new ClassifierInputError(`${dir} has ${rows.length} image(s), ${count} requested by --synth-ratio`);
  return rows.slice(0, count).sort((a, b) => a - b);
}

export async function loadScenario(options: ScenarioOptions): Promise<ScenarioData> {
  if (!SCENARIOS.includes(options.scenario)) throw new ClassifierInputError(`scenario must be one of ${SCENARIOS.join(', ')}, got "${options.scenario}"`);
  const usesSynthetic = options.scenario !== 'real';
  if (usesSynthetic && options.synthetic === undefined) throw new ClassifierInputError(`scenario ${options.scenario} needs a synthetic dataset (--synth DIR)`);
  if (options.synthRatio !== undefined && options.synthPerClass !== undefined) throw new ClassifierInputError('give --synth-ratio or --synth-per-class, not both');
  if (options.synthRatio !== undefined && !(options.synthRatio > 0)) throw new ClassifierInputError(`--synth-ratio must be > 0, got ${options.synthRatio}`);

  // Real dataset: labels, test split, training side.
  const real = await readManifest(options.real);
  const labels = binaryLabels(options.real, real);
  const identity = [0, 1];
  const test = await loadSet(options.real, real, testEntries(options.real, real), 'real', identity);
  requireBothClasses(test, `the test split of ${options.real}`, labels);
  const trainSide = real.split.kind === 'none' ? [] : selectImages(real, { split: 'train' });
  if (options.scenario !== 'synth' && trainSide.length === 0) {
    throw new ClassifierInputError(
      `${options.real} has no training split (ingested with --split none); the ${options.scenario} scenario needs one: re-ingest with a patient-grouped split`,
    );
  }
  const rng = new Rng(options.seed);
  let realTrain = emptySet(real.size);
  let validation = emptySet(real.size);
  let validationSource: ScenarioData['validationSource'] = 'real-train';
  if (trainSide.length > 0) {
    const side = await loadSet(options.real, real, trainSide, 'real', identity);
    requireBothClasses(side, `the training split of ${options.real}`, labels);
    const split = patientGroupedValidation(
      side.patients.map((p, i) => ({ patient: p, label: side.labels[i]! })),
      options.validationFraction,
      rng.seed(),
    );
    validation = subset(side, split.validation);
    if (options.scenario !== 'synth') realTrain = subset(side, split.train);
  }

  // Synthetic dataset: same size, labels mapped by name.
  let synthetic = emptySet(real.size);
  let syntheticRef: DatasetRef | undefined;
  if (usesSynthetic) {
    const dir = options.synthetic!;
    const m = await readManifest(dir);
    syntheticRef = ref(dir, m);
    if (m.size !== real.size) {
      throw new ClassifierInputError(`${dir} holds ${m.size}x${m.size} images but ${options.real} holds ${real.size}x${real.size}; generate or ingest both at one size`);
    }
    const labelMap = m.labels.map((name) => labels.indexOf(name));
    const unknown = m.labels.filter((_, i) => labelMap[i]! < 0);
    if (unknown.length > 0) throw new ClassifierInputError(`${dir} has label(s) ${unknown.join(', ')} that ${options.real} lacks (it has ${labels.join(', ')})`);
    const request =
      options.synthPerClass !== undefined
        ? { perClass: options.synthPerClass }
        : options.scenario === 'real+synth'
          ? { count: Math.round((options.synthRatio ?? 1) * realTrain.labels.length) }
          : {};
    // Draw from the manifest, then load only the drawn images.
    const rows = drawSynthetic(m.images.map((e) => labelMap[e.label]!), rng, request, dir, labels);
    const picked = await loadSet(dir, m, rows.map((r) => m.images[r]!), 'synthetic', labelMap);
    if (trainSide.length === 0) {
      // synth over a real dataset without a training side: validation from the synthetic images.
      const split = patientGroupedValidation(picked.patients.map((p, i) => ({ patient: p, label: picked.labels[i]! })), options.validationFraction, rng.seed());
      validation = subset(picked, split.validation);
      validationSource = 'synthetic';
      synthetic = subset(picked, split.train);
    } else {
      synthetic = picked;
    }
  }
  const train = concatSets(realTrain, synthetic);
  requireBothClasses(train, `the ${options.scenario} training set`, labels);
  requireBothClasses(validation, 'the validation set', labels);
  return {
    train,
    validation,
    test,
    labels,
    size: real.size,
    validationSource,
    datasets: syntheticRef ? { real: ref(options.real, real), synthetic: syntheticRef } : { real: ref(options.real, real) },
  };
}
