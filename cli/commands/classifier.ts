/**
 * `dermagan classifier train | eval | embed`: the study's utility test (melanoma vs benign on
 * real, synthetic-only and real+synthetic training, tested on real held-out images) as thin
 * wrappers over @dermagan/classifier.
 */
import { writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import {
  ARCHITECTURE_SPECS,
  ARCHITECTURES,
  ClassifierInputError,
  DEFAULT_TRAIN_OPTIONS,
  SCENARIOS,
  embedDataset,
  evaluateDataset,
  loadClassifier,
  predictionsCsv,
  reportJson,
  runExperiment,
  type Architecture,
  type Balance,
  type Scenario,
} from '@dermagan/classifier';
import { DatasetError } from '@dermagan/dataset';
import { writeNpy } from '@dermagan/npy';
import { checkOutputFile } from '@dermagan/safe-io';
import { loadTf } from '@dermagan/tf';
import { UserError, finiteNumber, positiveInt, printJson, progress } from '../output.ts';

/** Bad input from the libraries becomes a UserError (exit 2, no stack). */
async function asUserErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ClassifierInputError || err instanceof DatasetError) throw new UserError(err.message, { cause: err });
    throw err;
  }
}

function integer(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new UserError(`${flag} must be an integer, got "${v}"`);
    return n;
  };
}

/** `--synth-per-class 0,22000`: synthetic images per class, negatives first. */
export function parsePerClass(value: string): [number, number] {
  const parts = value.split(',').map((p) => Number(p.trim()));
  if (parts.length !== 2 || parts.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new UserError(`--synth-per-class must be two non-negative integers, negatives first (e.g. 0,22000 for +22k malignant), got "${value}"`);
  }
  return [parts[0]!, parts[1]!];
}

interface TrainFlags {
  data: string;
  synth?: string;
  scenario: Scenario;
  synthRatio?: number;
  synthPerClass?: [number, number];
  arch: Architecture;
  epochs: number;
  patience: number;
  size?: number;
  batchSize: number;
  weights?: string;
  warmupEpochs: number;
  dropConnect: number;
  balance: Balance;
  seed: number;
  resamples: number;
  resume?: boolean;
  out: string;
  json?: boolean;
}

interface EvalFlags {
  model: string;
  data: string;
  predictions?: string;
  resamples: number;
  seed: number;
  json?: boolean;
}

export function registerClassifier(program: Command): void {
  const classifier = program.command('classifier').description('Melanoma classifier: train on real / synthetic / real+synthetic, evaluate on real held-out images, embed');

  classifier
    .command('train')
    .description("Train (EfficientNet-Lite2 pretrained on ImageNet, EfficientNet-B2 from scratch, or a small CNN) and test on the real dataset's test split; writes OUT/model, classifier.json, test-report.json, test-predictions.csv")
    .requiredOption('--data <dir>', 'real dataset folder (from dermagan ingest, with a patient-grouped split)')
    .option('--synth <dir>', 'synthetic dataset folder (from the generator), for the synth and real+synth scenarios')
    .addOption(new Option('--scenario <name>', 'training data').choices([...SCENARIOS]).default('real'))
    .option('--synth-ratio <r>', 'real+synth: synthetic images per real training image', finiteNumber('--synth-ratio'))
    .option('--synth-per-class <n0,n1>', "synthetic images per class, negatives first (the paper's +22k malignant: 0,22000)", parsePerClass)
    .addOption(
      new Option('--arch <name>', `network: ${ARCHITECTURES.map((a) => `${a} = ${ARCHITECTURE_SPECS[a].description}`).join('; ')}`).choices([...ARCHITECTURES]).default(DEFAULT_TRAIN_OPTIONS.arch),
    )
    .option('--epochs <n>', 'maximum epochs', positiveInt('--epochs'), DEFAULT_TRAIN_OPTIONS.epochs)
    .option('--patience <n>', 'early stopping: epochs without a better validation AUC', positiveInt('--patience'), DEFAULT_TRAIN_OPTIONS.patience)
    .option('--size <px>', "model input side (default: 224 for efficientnet-lite2 (260 is its ImageNet resolution), else the dataset's; images are resized otherwise)", positiveInt('--size'))
    .option('--batch-size <n>', 'training batch size', positiveInt('--batch-size'), DEFAULT_TRAIN_OPTIONS.batchSize)
    .option('--drop-connect <rate>', 'EfficientNet-B2 stochastic depth: drop rate of the last block, 0 = off', finiteNumber('--drop-connect'), DEFAULT_TRAIN_OPTIONS.dropConnectRate)
    .option('--weights <uri>', "pretrained weights by layer name: file://DIR/model.json or https://…/model.json (default: efficientnet-lite2's ImageNet weights from npm run setup; the others from scratch)")
    .option('--warmup-epochs <n>', 'epochs that train only the new head on the frozen pretrained backbone before fine-tuning it all (ignored from scratch)', integer('--warmup-epochs'), DEFAULT_TRAIN_OPTIONS.warmupEpochs)
    .addOption(new Option('--balance <how>', 'class imbalance: loss weights, balanced sampling, or none').choices(['none', 'weights', 'sampling']).default(DEFAULT_TRAIN_OPTIONS.balance))
    .option('--seed <n>', 'seed of everything random (the study: 2022)', integer('--seed'), DEFAULT_TRAIN_OPTIONS.seed)
    .option('--resamples <n>', 'bootstrap resamples of the test intervals', integer('--resamples'), 1000)
    .option('--resume', 'continue from OUT/checkpoint')
    .requiredOption('--out <dir>', 'output folder')
    .option('--json', 'print the test report as one JSON line on stdout')
    .action(async (flags: TrainFlags) => {
      const { tf, info } = await loadTf();
      let bar: ReturnType<typeof progress> | undefined;
      const { json, card } = await asUserErrors(() =>
        runExperiment(tf, info, {
          data: {
            scenario: flags.scenario,
            real: flags.data,
            ...(flags.synth !== undefined ? { synthetic: flags.synth } : {}),
            ...(flags.synthRatio !== undefined ? { synthRatio: flags.synthRatio } : {}),
            ...(flags.synthPerClass !== undefined ? { synthPerClass: flags.synthPerClass } : {}),
          },
          train: {
            arch: flags.arch,
            epochs: flags.epochs,
            patience: flags.patience,
            size: flags.size,
            batchSize: flags.batchSize,
            weights: flags.weights,
            warmupEpochs: flags.warmupEpochs,
            dropConnectRate: flags.dropConnect,
            balance: flags.balance,
            seed: flags.seed,
          },
          out: flags.out,
          resume: flags.resume ?? false,
          resamples: flags.resamples,
          onProgress: (p) => {
            if (p.kind === 'step') {
              if (p.step === 1) bar = progress(`epoch ${p.epoch}/${flags.epochs}`, p.steps);
              bar?.update(p.step, `loss ${p.loss.toFixed(4)}`);
            } else {
              bar?.stop();
              const r = p.record;
              process.stderr.write(
                `epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, validation AUC ${r.validationAuc.toFixed(4)} (best ${p.best?.auc.toFixed(4)} at epoch ${p.best?.epoch}), ${r.trainSeconds.toFixed(1)} s\n`,
              );
            }
          },
        }),
      );
      const summary = { ...json, out: flags.out, best_epoch: card.training.bestEpoch, stopped: card.training.stopped, validation_auc: card.training.validation.auc, initialisation: card.provenance.initialisation === 'from scratch' ? 'from scratch' : card.provenance.initialisation.uri, backbone: card.provenance.backbone };
      if (flags.json) printJson(summary);
      else
        process.stdout.write(
          `test: AUC ${json.auc?.toFixed(3)}, PR-AUC ${json.pr_auc?.toFixed(3)} (prevalence ${json.prevalence?.toFixed(3)}), balanced accuracy ${json.balanced_accuracy?.toFixed(3)}, ` +
            `sensitivity ${json.sensitivity?.toFixed(3)}, specificity ${json.specificity?.toFixed(3)} at threshold ${json.threshold.toFixed(3)}; model in ${flags.out}\n` +
            `network: ${card.provenance.backbone}\n`,
        );
    });

  classifier
    .command('eval')
    .description("Evaluate a trained classifier on a real dataset's test split (all of it when ingested with --split none)")
    .requiredOption('--model <dir>', 'folder written by classifier train')
    .requiredOption('--data <dir>', 'real dataset folder')
    .option('--predictions <file.csv>', 'write id,label,score for every image evaluated')
    .option('--resamples <n>', 'bootstrap resamples of the intervals', integer('--resamples'), 1000)
    .option('--seed <n>', 'bootstrap seed', integer('--seed'), 2022)
    .option('--json', 'print the report as one JSON line on stdout')
    .action(async (flags: EvalFlags) => {
      if (flags.predictions !== undefined) await checkOutputFile(flags.predictions);
      const { tf } = await loadTf();
      const json = await asUserErrors(async () => {
        const { card, model } = await loadClassifier(tf, flags.model);
        const { report, predictions } = await evaluateDataset(tf, model, card, flags.data, { resamples: flags.resamples, seed: flags.seed });
        if (flags.predictions !== undefined) await writeFile(flags.predictions, predictionsCsv(predictions));
        return reportJson(report, card);
      });
      if (flags.json) printJson(json);
      else
        process.stdout.write(
          `n ${json.n} (prevalence ${json.prevalence?.toFixed(3)}): AUC ${json.auc?.toFixed(3)} [${json.ci?.auc?.low?.toFixed(3)}, ${json.ci?.auc?.high?.toFixed(3)}], ` +
            `PR-AUC ${json.pr_auc?.toFixed(3)}, accuracy ${json.accuracy?.toFixed(3)}, balanced accuracy ${json.balanced_accuracy?.toFixed(3)}, ` +
            `sensitivity ${json.sensitivity?.toFixed(3)}, specificity ${json.specificity?.toFixed(3)}\n`,
        );
    });

  classifier
    .command('embed')
    .description('Write penultimate-layer embeddings (float32 [n, d], manifest order) of every image of a dataset')
    .requiredOption('--model <dir>', 'folder written by classifier train')
    .requiredOption('--data <dir>', 'dataset folder (real or generated)')
    .requiredOption('--out <file.npy>', 'output .npy')
    .option('--json', 'print a JSON summary line on stdout')
    .action(async (flags: { model: string; data: string; out: string; json?: boolean }) => {
      if (!flags.out.endsWith('.npy')) throw new UserError(`--out must name a .npy file, got "${flags.out}"`);
      await checkOutputFile(flags.out);
      const { tf } = await loadTf();
      const { width, n } = await asUserErrors(async () => {
        const { card, model } = await loadClassifier(tf, flags.model);
        const { data, width, ids } = await embedDataset(tf, model, card, flags.data);
        await writeNpy(flags.out, { dtype: 'float32', shape: [ids.length, width], data });
        return { width, n: ids.length };
      });
      if (flags.json) printJson({ out: flags.out, n, d: width });
      else process.stdout.write(`${n} embeddings of width ${width} in ${flags.out}\n`);
    });
}
