/**
 * One explanation, start to end, over local folders (the explainer service fetches them from the
 * store first; the CLI passes them directly):
 *   load the classifier, the real and synthetic images and the generator
 *   → edge cases (and their latent neighbours, with a projector) → embeddings → XRAI heat maps
 *   → latent directions → the frame-removal experiment → OUT/summary.json.
 * Every part can be left out; a part that cannot run (no generator, too few framed images) is
 * recorded in `skipped` with its reason instead of failing the whole explanation.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkCompatible, loadClassifier, loadSet, testEntries } from '@dermagan/classifier';
import { DERMAGAN_VERSION, type ExplainPart, type LatentDirections } from '@dermagan/contracts';
import { readManifest, selectImages } from '@dermagan/dataset';
import { FolderCheckpointSink, loadGenerator } from '@dermagan/gan';
import { claimOutputFolder, runFolder } from '@dermagan/safe-io';
import type { BackendInfo, Tf } from '@dermagan/tf';
import { EXPLAIN_PARTS, explainOptions } from './defaults.ts';
import { ExplainInputError } from './errors.ts';
import type { AttributeDetector, ExplainContext, Projector } from './steps/context.ts';
import { detectFrames } from './frame-detector.ts';
import { directionsStep } from './steps/directions-step.ts';
import { edgeCasesStep } from './steps/edge-cases-step.ts';
import { embeddingsStep } from './steps/embeddings-step.ts';
import { frameRemovalStep } from './steps/frame-removal-step.ts';
import { xraiStep } from './steps/xrai-step.ts';

export const SUMMARY_FORMAT = 'dermagan.explanation/v1';
/** What an explanation's OUT holds (summary.json, view-3d.html, xrai/, directions/, work/), recognised by its marker. */
export const EXPLANATION_FOLDER = runFolder('explain run', 'dermagan explanation');
export const SUMMARY_FILE = 'summary.json';

export interface ExplainInputs {
  name: string;
  /** Classifier folder (classifier.json + model/). */
  classifier: string;
  /** Real dataset folder. */
  real: string;
  /** Synthetic dataset folders, by name. */
  synthetic: Array<{ name: string; dir: string }>;
  /** Generator checkpoint folder, and how directions.json names it. */
  generator: { dir: string; ref: LatentDirections['generator'] } | null;
  parts: readonly ExplainPart[];
  /** libs/explain options (explainOptions fills the defaults; unknown keys are refused). */
  options: Record<string, unknown>;
  out: string;
  projector?: Projector | null;
  /** The attribute the frame direction and experiment are about (default: the dermoscope-frame detector). */
  frames?: AttributeDetector;
  onProgress?: (step: string, done: number, total: number, status?: string) => void;
}

export interface ExplanationSummary {
  format: typeof SUMMARY_FORMAT;
  name: string;
  parts: ExplainPart[];
  numbers: Record<string, number | null>;
  skipped: Record<string, string>;
  sections: Record<string, unknown>;
  provenance: Record<string, unknown>;
}

export async function runExplanation(tf: Tf, backend: BackendInfo, inputs: ExplainInputs): Promise<ExplanationSummary> {
  const options = explainOptions(inputs.options);
  for (const p of inputs.parts) if (!EXPLAIN_PARTS.includes(p)) throw new ExplainInputError(`explain: unknown part "${p}"; known: ${EXPLAIN_PARTS.join(', ')}`);
  const parts = EXPLAIN_PARTS.filter((p) => inputs.parts.includes(p));
  const progress = inputs.onProgress ?? (() => {});
  await claimOutputFolder(inputs.out, EXPLANATION_FOLDER);
  const started = Date.now();

  // Load the classifier and the images it is explained on (the data must match it).
  const { model, card } = await loadClassifier(tf, inputs.classifier);
  const realManifest = await readManifest(inputs.real);
  const realMap = checkCompatible(inputs.real, realManifest, card);
  const trainSide = realManifest.split.kind === 'none' ? realManifest.images : selectImages(realManifest, { split: 'train' });
  const train = await loadSet(inputs.real, realManifest, trainSide, 'real', realMap);
  const test = await loadSet(inputs.real, realManifest, testEntries(inputs.real, realManifest), 'real', realMap);
  const synthetic = [];
  for (const s of inputs.synthetic) {
    const m = await readManifest(s.dir);
    const map = checkCompatible(s.dir, m, card);
    synthetic.push({ name: s.name, set: await loadSet(s.dir, m, m.images, 'synthetic', map) });
  }
  const generator = inputs.generator ? await loadGenerator(tf, new FolderCheckpointSink(inputs.generator.dir)) : null;
  const ctx: ExplainContext = {
    tf,
    backend,
    out: inputs.out,
    options,
    classifier: { dir: inputs.classifier, model, card },
    real: { dir: inputs.real, manifest: realManifest, train, test },
    synthetic,
    generator,
    generatorRef: inputs.generator?.ref ?? null,
    projector: inputs.projector ?? null,
    frames: inputs.frames ?? (async (pixels, n, size) => (await detectFrames(pixels, n, size)).map((v) => v.frame)),
    progress,
    numbers: {},
    skipped: {},
    edgeCases: [],
    projections: null,
    framePlane: null,
    sections: {},
  };
  // Neighbours and frame removal train on generated images beside real ones: one size for both.
  const generatorMatches = generator !== null && generator.G.cfg.resolution === realManifest.size;
  const noGenerator = !generator
    ? 'no generator checkpoint given'
    : `the generator makes ${generator.G.cfg.resolution}² images, the real dataset holds ${realManifest.size}²; generate and ingest at one size`;

  try {
    // Edge cases come first: the embeddings and heat maps show them.
    if (parts.includes('edge-cases') || parts.includes('xrai')) {
      if (!generatorMatches) ctx.projector = null;
      await edgeCasesStep(ctx);
      if (generator && !generatorMatches) ctx.skipped.neighbours = noGenerator;
    }
    if (parts.includes('embeddings')) await embeddingsStep(ctx);
    if (parts.includes('xrai')) await xraiStep(ctx);
    if (parts.includes('directions') || parts.includes('frame-removal')) {
      if (generator) await directionsStep(ctx);
      else ctx.skipped.directions = noGenerator;
    }
    if (parts.includes('frame-removal')) {
      if (!generatorMatches) ctx.skipped['frame removal'] = noGenerator;
      else if (!ctx.framePlane) ctx.skipped['frame removal'] ??= 'no frame direction (see the hyperplane that was skipped)';
      else await frameRemovalStep(ctx);
    }
  } finally {
    model.dispose();
    generator?.G.ps.dispose();
    await rm(join(inputs.out, 'work'), { recursive: true, force: true });
  }

  const summary: ExplanationSummary = {
    format: SUMMARY_FORMAT,
    name: inputs.name,
    parts,
    numbers: ctx.numbers,
    skipped: ctx.skipped,
    sections: ctx.sections,
    provenance: {
      options,
      classifier: { arch: card.arch, labels: card.labels, threshold: card.threshold, trainedOn: card.provenance.datasets },
      real: { name: realManifest.name, fingerprint: realManifest.fingerprint },
      synthetic: inputs.synthetic.map((s) => s.name),
      generator: generator?.provenance ?? null,
      backend,
      dermaganVersion: DERMAGAN_VERSION,
      wallSeconds: (Date.now() - started) / 1000,
    },
  };
  await writeFile(join(inputs.out, SUMMARY_FILE), `${JSON.stringify(summary, null, 1)}\n`);
  return summary;
}
