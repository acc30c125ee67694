/**
 * `dermagan train`: StyleGAN2-ADA on an ingested dataset. A thin wrapper over `runTraining()` in
 * @dermagan/gan: progress and one status line per tick on stderr, `--json` summary on stdout.
 */
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { CheckpointError, NonFiniteLossError, parseFidMetric, TrainingDataError, runTraining, type SnapshotScore, type TickStats } from '@dermagan/gan';
import { DEFAULT_PREPROCESSING, MetricInputError, PREPROCESSING_MODES, snapshotFidScorer, type Preprocessing } from '@dermagan/metrics';
import { DatasetError } from '@dermagan/dataset';
import { loadTf } from '@dermagan/tf';
import { GanTrainingOptions } from '@dermagan/contracts';
import { UserError, nonNegativeInt, positiveInt, printJson, progress } from '../output.ts';
import { addGanTrainingFlags, ganTrainingOptionsFrom } from '../training-flags.ts';

/** The run's own flags; the training options' flags come from the schema (../training-flags.ts). */
interface TrainFlags extends Record<string, unknown> {
  data: string;
  out: string;
  class?: number;
  resume?: string;
  snap: number;
  metrics: number[];
  preprocessing: Preprocessing;
  json?: boolean;
}

/** `--metrics fid5k[,fid50k]` → image counts; `none` → []. */
function parseSnapshotMetrics(value: string): number[] {
  if (value === 'none') return [];
  return value.split(',').map((name) => {
    const n = parseFidMetric(name.trim());
    if (n === undefined) throw new UserError(`--metrics takes fid<N>k or fid<N> (e.g. fid5k: FID of 5000 generated images at every snapshot) or none; got "${name}"`);
    return n;
  });
}

function statusLine(s: TickStats): string {
  const l = s.losses;
  const f = (k: string, d = 3) => (l[k] === undefined ? '-' : l[k]!.toFixed(d));
  return (
    `tick ${s.tick} kimg ${s.kimg.toFixed(s.kimg < 10 ? 3 : 1)} sec/kimg ${s.secPerKimg.toFixed(1)} ` +
    `G ${f('Loss/G/loss')} D ${f('Loss/D/loss')} r1 ${f('Loss/r1_penalty', 4)} pl ${f('Loss/pl_penalty', 4)} ` +
    `p ${s.p.toFixed(3)} rt ${s.rt === null ? '-' : s.rt.toFixed(3)} mem ${(s.memory.rssBytes / 2 ** 30).toFixed(2)}GiB`
  );
}

export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .description('Train StyleGAN2-ADA on an ingested dataset; checkpoints and per-tick stats go to --out')
    .requiredOption('--data <dir>', "ingested dataset folder (from 'dermagan ingest')")
    .requiredOption('--out <dir>', 'output folder: checkpoint/, stats.jsonl, run.json');
  addGanTrainingFlags(command, { required: ['res', 'kimg'] })
    .option('--class <n>', 'train on one class only (ben-GAN / mal-GAN)', nonNegativeInt('--class'))
    .option('--resume <ckpt>', 'checkpoint folder to continue from (its config, counters, ADA p and RNG are kept)')
    .option('--snap <ticks>', 'checkpoint every this many ticks (and at the end)', positiveInt('--snap'), 50)
    .option('--metrics <list>', 'metrics at every snapshot: fid5k (FID of 5000 G_ema images vs the training reals, Inception-2015; real statistics cached) or none', parseSnapshotMetrics, [])
    .addOption(new Option('--preprocessing <mode>', 'Inception-2015 preprocessing of the snapshot FID').choices([...PREPROCESSING_MODES]).default(DEFAULT_PREPROCESSING))
    .option('--json', 'print the result as one JSON line on stdout')
    .action(async (flags: TrainFlags) => {
      const options = ganTrainingOptionsFrom(flags, GanTrainingOptions);
      const { tf, info } = await loadTf();
      const total = Math.ceil(options.kimg * 1000);
      const bar = progress('train', total);
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let result;
      const scores: SnapshotScore[] = [];
      try {
        result = await runTraining(
          tf,
          { ...info },
          {
            data: flags.data,
            out: flags.out,
            options,
            ...(flags.class !== undefined ? { classFilter: flags.class } : {}),
            ...(flags.resume ? { resume: flags.resume } : {}),
            snapshotTicks: flags.snap,
          },
          {
            onStep: (_step, nimg) => bar.update(Math.min(nimg, total), `kimg ${(nimg / 1000).toFixed(2)}`),
            onTick: (s) => process.stderr.write(`\n${statusLine(s)}\n`),
            signal: abort.signal,
            snapshotScorers: async (data) => {
              const real = { pixels: data.pixels, n: data.count, size: data.resolution, fingerprint: data.fingerprint, selection: JSON.stringify({ split: data.provenance.split ?? null, classes: data.provenance.classes ?? null }) };
              return Promise.all(flags.metrics.map((n) => snapshotFidScorer(tf, real, n, { preprocessing: flags.preprocessing })));
            },
            onScore: (score) => {
              scores.push(score);
              process.stderr.write(`\n${score.name} ${score.value.toFixed(3)} at kimg ${score.kimg.toFixed(2)} (Inception-2015, ${flags.preprocessing})\n`);
            },
          },
        );
      } catch (err) {
        if (err instanceof NonFiniteLossError) {
          bar.stop();
          process.stderr.write(`dermagan train: ${err.message}\nThe last good checkpoint is ${join(flags.out, 'checkpoint')}.\n`);
          process.exitCode = 1;
          return;
        }
        if (err instanceof TrainingDataError || err instanceof DatasetError || err instanceof CheckpointError || err instanceof MetricInputError) throw new UserError(err.message, { cause: err });
        if (err instanceof Error && /^Trainer\.resume:/.test(err.message)) throw new UserError(err.message, { cause: err });
        throw err;
      } finally {
        bar.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      const metrics = scores.map(({ name, value, kimg, tick }) => ({ name, value, kimg, tick }));
      const summary = { out: result.out, checkpoint: result.checkpoint, kimg: result.kimg, step: result.step, stopped: result.stopped, backend: info.name, lastTick: result.lastTick, metrics };
      if (flags.json) printJson(summary);
      else process.stdout.write(`${result.stopped === 'done' ? 'trained' : 'stopped'} at kimg ${result.kimg.toFixed(2)} (step ${result.step}); checkpoint ${result.checkpoint}\n`);
    });
}
