/**
 * `dermagan project`: real images into a trained generator's latent space (NVlabs projector.py's
 * optimisation, many images per batch), resumable: rerun the same command after a kill or Ctrl-C
 * and each image continues from its last saved step. A thin wrapper over `projectDataset()` in
 * @dermagan/projector.
 */
import { readFile } from 'node:fs/promises';
import type { ProjectionDistance } from '@dermagan/contracts';
import { Option, type Command } from 'commander';
import { ClassifierInputError, loadClassifier } from '@dermagan/classifier';
import { DatasetError } from '@dermagan/dataset';
import { CheckpointError, FolderCheckpointSink, GenerateError, loadGenerator } from '@dermagan/gan';
import {
  classifierExtractor, createPerceptual, DEFAULT_PERCEPTUAL, parseIdsFile, PERCEPTUAL_IDS, PROJECTOR_DEFAULTS, projectDataset,
  projectorOptionsFrom, ProjectorError, StateFileError, type ProjectionSummary, type Selection,
} from '@dermagan/projector';
import { MetricInputError, type FeatureExtractor } from '@dermagan/metrics';
import { PretrainedError } from '@dermagan/pretrained';
import { loadTf, type Tf } from '@dermagan/tf';
import { nonNegativeInt, positiveInt, printJson, progress, UserError } from '../output.ts';

/** The flags of {@link projectionOptions}, as commander hands them over. */
export interface ProjectionFlags {
  steps: number;
  batch: number;
  wPlus?: boolean;
  seed: number;
  saveEvery: number;
  wAvgSamples: number;
  distance: ProjectionDistance;
  classifier?: string;
  out: string;
  json?: boolean;
}

interface ProjectFlags extends ProjectionFlags {
  ckpt: string;
  data: string;
  n?: number;
  ids?: string;
  split?: 'train' | 'test' | 'all';
  class?: number;
  tenant?: string;
}

/** The flags onto the projector's options and distance (through the one mapping, projectorOptionsFrom). */
export function projectorOptionsOf(flags: ProjectionFlags) {
  const { steps, batch, seed, saveEvery, wAvgSamples, distance } = flags;
  return projectorOptionsFrom({ steps, batch, seed, saveEvery, wAvgSamples, distance, space: flags.wPlus ? 'w+' : 'w' });
}

/** Errors that are the user's input or setup, not a bug: the exit-2 error with what to do, or the error itself. */
export function asUserError(err: unknown): unknown {
  if (err instanceof PretrainedError) return new UserError(`${err.message}; ${err.fix}`, { cause: err });
  const input = [ProjectorError, StateFileError, CheckpointError, GenerateError, DatasetError, ClassifierInputError, MetricInputError].some((E) => err instanceof E);
  return input ? new UserError((err as Error).message, { cause: err }) : err;
}

/** The flags `project` and `audit` share: the optimisation. */
export function projectionOptions(command: Command): Command {
  return command
    .option('--steps <n>', 'optimisation steps per image (the reference: 1000)', positiveInt('--steps'), PROJECTOR_DEFAULTS.steps)
    .option('--batch <n>', 'images optimised together', positiveInt('--batch'), PROJECTOR_DEFAULTS.batch)
    .option('--w-plus', 'optimise one w per layer (W+) instead of one w (W, the reference)')
    .option('--seed <n>', "seed of each image's noise maps and w noise (mixed with its id)", nonNegativeInt('--seed'), PROJECTOR_DEFAULTS.seed)
    .option('--save-every <n>', "save each image's state every n steps", positiveInt('--save-every'), PROJECTOR_DEFAULTS.saveEvery)
    .option('--w-avg-samples <n>', 'z samples behind w_avg and w_std', positiveInt('--w-avg-samples'), PROJECTOR_DEFAULTS.wAvgSamples)
    .addOption(new Option('--distance <id>', 'the perceptual distance').choices([...PERCEPTUAL_IDS]).default(DEFAULT_PERCEPTUAL))
    .option('--classifier <dir>', "a trained classifier (dermagan classifier train): cosine distances in its embedding");
}

export async function classifierSpace(tf: Tf, dir: string | undefined): Promise<FeatureExtractor | undefined> {
  if (!dir) return undefined;
  const { card, model } = await loadClassifier(tf, dir);
  return classifierExtractor(tf, model, card, dir);
}

/** A progress line per tenth on stderr (a bar on a terminal), Ctrl-C saves and stops. */
export function projectionProgress(label: string) {
  const bar = progress(label, 0);
  const controller = new AbortController();
  const stop = () => {
    process.stderr.write(`\n${label}: stopping after this step; every image's state is saved — rerun the same command to continue\n`);
    controller.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    signal: controller.signal,
    onProgress: (p: { done: number; total: number; steps: number; totalSteps: number; imageStepsPerSecond: number; distance: number }) => {
      bar.setTotal(p.totalSteps);
      bar.update(p.steps, `images ${p.done}/${p.total}, distance ${p.distance.toPrecision(3)}, ${p.imageStepsPerSecond.toFixed(1)} image-steps/s`);
    },
    stop: () => {
      bar.stop();
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    },
  };
}

/** The summary as the `--json` line (numbers only; per-image rows are in DIR/projections.csv). */
export function summaryJson(s: ProjectionSummary) {
  return {
    out: s.out,
    images: s.images,
    stopped: s.stopped,
    resumed: s.resumed,
    already_done: s.alreadyDone,
    space: s.space,
    distance_space: s.perceptual,
    distance: s.distance,
    mse: s.mse,
    cosine: s.cosine,
    image_steps: s.imageSteps,
    image_steps_per_second: s.imageStepsPerSecond,
    seconds: s.seconds,
  };
}

export function registerProject(program: Command): void {
  const command = program
    .command('project')
    .description("Project real images into a generator's latent space (resumable; w.npy and noise maps, projected images, per-image distances)")
    .requiredOption('--ckpt <dir>', "checkpoint folder (OUT/checkpoint of 'dermagan train')")
    .requiredOption('--data <dir>', 'dataset folder of the images to project')
    .option('--n <n>', 'project the first n selected images', positiveInt('--n'))
    .option('--ids <file>', 'project exactly these ids (one per line)')
    .addOption(new Option('--split <split>', 'only images of this split').choices(['train', 'test', 'all']))
    .option('--class <c>', 'only images of this class', nonNegativeInt('--class'))
    .option('--tenant <name>', "only this federation tenant's images")
    .requiredOption('--out <dir>', 'output folder (rerun with the same folder to continue)')
    .option('--json', 'print the result as one JSON line on stdout');
  projectionOptions(command).action(async (flags: ProjectFlags) => {
    if (flags.n !== undefined && flags.ids) throw new UserError('--n and --ids exclude each other: give one');
    const { tf } = await loadTf();
    let ui: ReturnType<typeof projectionProgress> | undefined;
    try {
      const selection: Selection = {
        ...(flags.split ? { split: [flags.split] } : {}),
        ...(flags.class !== undefined ? { classes: [flags.class] } : {}),
        ...(flags.tenant ? { tenant: flags.tenant } : {}),
        ...(flags.n !== undefined ? { n: flags.n } : {}),
        ...(flags.ids ? { ids: parseIdsFile(await readIds(flags.ids)) } : {}),
      };
      const loaded = await loadGenerator(tf, new FolderCheckpointSink(flags.ckpt));
      const classifier = await classifierSpace(tf, flags.classifier);
      const { options, distance } = projectorOptionsOf(flags);
      const perceptual = await createPerceptual(tf, distance);
      ui = projectionProgress('project');
      const summary = await projectDataset(tf, {
        loaded,
        data: flags.data,
        selection,
        out: flags.out,
        options,
        perceptual,
        ...(classifier ? { classifier } : {}),
        onProgress: ui.onProgress,
        signal: ui.signal,
      });
      ui.stop();
      if (summary.stopped === 'aborted') process.exitCode = 130;
      if (flags.json) printJson(summaryJson(summary));
      else if (summary.stopped === 'aborted') process.stdout.write(`stopped; rerun the same command to continue (${flags.out})\n`);
      else {
        const cos = summary.cosine ? `, cosine ${summary.cosine.median.toPrecision(3)}` : '';
        process.stdout.write(`${summary.images} images → ${flags.out}: median ${summary.perceptual} distance ${summary.distance!.median.toPrecision(3)}, MSE ${summary.mse!.median.toPrecision(3)}${cos}\n`);
      }
    } catch (err) {
      ui?.stop();
      throw asUserError(err);
    }
  });
}

async function readIds(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new UserError(`--ids ${path} cannot be read (${(err as NodeJS.ErrnoException).code})`, { cause: err });
  }
}
