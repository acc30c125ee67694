/**
 * `dermagan train`: StyleGAN2-ADA on an ingested dataset. A thin wrapper over `runTraining()` in
 * @dermagan/gan: progress and one status line per tick on stderr, `--json` summary on stdout.
 */
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { CheckpointError, NonFiniteLossError, PRESET_NAMES, TrainingDataError, runTraining, type PresetName, type TickStats } from '@dermagan/gan';
import { DatasetError } from '@dermagan/dataset';
import { loadTf } from '@dermagan/tf';
import { UserError, finiteNumber, networkOptions, nonNegativeInt, positiveInt, printJson, progress } from '../output.ts';

interface TrainFlags {
  data: string;
  res: number;
  kimg: number;
  out: string;
  cfg: PresetName;
  cond?: boolean;
  class?: number;
  aug: 'bgc' | 'bg' | 'noaug';
  target: number;
  p?: number;
  mirror?: boolean;
  batch?: number;
  cbase?: number;
  cmax?: number;
  map?: number;
  gamma?: number;
  seed: number;
  resume?: string;
  tick: number;
  snap: number;
  json?: boolean;
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
    .requiredOption('--res <px>', 'training resolution (power of two, 16–256; the data is resized if needed)', positiveInt('--res'))
    .requiredOption('--kimg <n>', 'train until this many thousand images have been shown (in total, counting a resumed run)', finiteNumber('--kimg'))
    .requiredOption('--out <dir>', 'output folder: checkpoint/, stats.jsonl, run.json')
    .addOption(new Option('--cfg <preset>', 'base configuration (reference presets; quick/test are small CPU configs)').choices([...PRESET_NAMES]).default('auto'));
  networkOptions(command)
    .option('--cond', 'conditional G and D on the dataset classes')
    .option('--class <n>', 'train on one class only (ben-GAN / mal-GAN)', nonNegativeInt('--class'))
    .option('--target <t>', 'ADA target for mean sign(D(real))', finiteNumber('--target'), 0.6)
    .option('--p <p>', 'fixed augmentation probability instead of ADA', finiteNumber('--p'))
    .option('--mirror', 'random x-flips of the reals')
    .option('--gamma <g>', 'R1 weight γ', finiteNumber('--gamma'))
    .option('--seed <n>', 'seed of initialisation and every random draw', nonNegativeInt('--seed'), 0)
    .option('--resume <ckpt>', 'checkpoint folder to continue from (its config, counters, ADA p and RNG are kept)')
    .option('--tick <kimg>', 'kimg per tick (stats line, stats.jsonl)', finiteNumber('--tick'), 4)
    .option('--snap <ticks>', 'checkpoint every this many ticks (and at the end)', positiveInt('--snap'), 50)
    .option('--json', 'print the result as one JSON line on stdout')
    .action(async (flags: TrainFlags) => {
      if (!(flags.kimg > 0)) throw new UserError(`--kimg must be > 0, got ${flags.kimg}`);
      if (flags.p !== undefined && !(flags.p >= 0)) throw new UserError(`--p must be ≥ 0, got ${flags.p}`);
      const { tf, info } = await loadTf();
      const total = Math.ceil(flags.kimg * 1000);
      const bar = progress('train', total);
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let result;
      try {
        result = await runTraining(
          tf,
          { ...info },
          {
            data: flags.data,
            resolution: flags.res,
            kimg: flags.kimg,
            out: flags.out,
            cfg: flags.cfg,
            ...(flags.cond ? { cond: true } : {}),
            ...(flags.class !== undefined ? { classFilter: flags.class } : {}),
            aug: flags.aug,
            target: flags.target,
            ...(flags.p !== undefined ? { p: flags.p } : {}),
            mirror: flags.mirror ?? false,
            ...(flags.batch !== undefined ? { batch: flags.batch } : {}),
            ...(flags.cbase !== undefined ? { channelBase: flags.cbase } : {}),
            ...(flags.cmax !== undefined ? { channelMax: flags.cmax } : {}),
            ...(flags.map !== undefined ? { mappingLayers: flags.map } : {}),
            ...(flags.gamma !== undefined ? { gamma: flags.gamma } : {}),
            seed: flags.seed,
            ...(flags.resume ? { resume: flags.resume } : {}),
            kimgPerTick: flags.tick,
            snapshotTicks: flags.snap,
          },
          {
            onStep: (_step, nimg) => bar.update(Math.min(nimg, total), `kimg ${(nimg / 1000).toFixed(2)}`),
            onTick: (s) => process.stderr.write(`\n${statusLine(s)}\n`),
            signal: abort.signal,
          },
        );
      } catch (err) {
        if (err instanceof NonFiniteLossError) {
          bar.stop();
          process.stderr.write(`dermagan train: ${err.message}\nThe last good checkpoint is ${join(flags.out, 'checkpoint')}.\n`);
          process.exitCode = 1;
          return;
        }
        if (err instanceof TrainingDataError || err instanceof DatasetError || err instanceof CheckpointError) throw new UserError(err.message, { cause: err });
        if (err instanceof Error && /^Trainer\.resume:/.test(err.message)) throw new UserError(err.message, { cause: err });
        throw err;
      } finally {
        bar.stop();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      const summary = { out: result.out, checkpoint: result.checkpoint, kimg: result.kimg, step: result.step, stopped: result.stopped, backend: info.name, lastTick: result.lastTick };
      if (flags.json) printJson(summary);
      else process.stdout.write(`${result.stopped === 'done' ? 'trained' : 'stopped'} at kimg ${result.kimg.toFixed(2)} (step ${result.step}); checkpoint ${result.checkpoint}\n`);
    });
}
