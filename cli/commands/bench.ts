/**
 * `dermagan bench gan`: time the engine's training phases and sampling on one configuration
 * (`benchGan` in @dermagan/gan); the same flags configure scripts/bench/gan-pytorch.py.
 */
import type { Command } from 'commander';
import { benchGan, checkResolution } from '@dermagan/gan';
import { loadTf } from '@dermagan/tf';
import { UserError, positiveInt, printJson } from '../output.ts';

interface BenchGanFlags {
  res: number;
  batch: number;
  cbase: number;
  cmax: number;
  map: number;
  zdim: number;
  wdim: number;
  runs: number;
  warmup: number;
  json?: boolean;
}

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('Benchmarks (one JSON line with --json)');
  bench
    .command('gan')
    .description('Time Gmain, Dmain, Dmain+R1, Greg (each with its Adam step) and sampling; median after warm-up')
    .requiredOption('--res <px>', 'resolution (power of two, 16–256)', positiveInt('--res'))
    .requiredOption('--batch <n>', 'minibatch size (a multiple of 4, or below 4)', positiveInt('--batch'))
    .option('--cbase <n>', 'channel base', positiveInt('--cbase'), 16384)
    .option('--cmax <n>', 'channel max', positiveInt('--cmax'), 512)
    .option('--map <n>', 'mapping layers', positiveInt('--map'), 2)
    .option('--zdim <n>', 'z dimensionality', positiveInt('--zdim'), 512)
    .option('--wdim <n>', 'w dimensionality', positiveInt('--wdim'), 512)
    .option('--runs <n>', 'timed runs per measurement (the median is reported)', positiveInt('--runs'), 5)
    .option('--warmup <n>', 'untimed runs first', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new UserError(`--warmup must be an integer ≥ 0, got "${v}"`);
      return n;
    }, 2)
    .option('--json', 'print the result as one JSON line on stdout')
    .action(async (flags: BenchGanFlags) => {
      try {
        checkResolution(flags.res);
      } catch (err) {
        throw new UserError(`--res: ${(err as Error).message}`);
      }
      if (flags.batch > 4 && flags.batch % 4 !== 0) throw new UserError(`--batch must be a multiple of the minibatch-stddev group 4, got ${flags.batch}`);
      const { tf, info } = await loadTf();
      const { config, ...result } = await benchGan(tf, info.name, flags);
      if (flags.json) printJson({ ...result, config });
      else {
        process.stdout.write(
          `${result.backend} ${result.res}² batch ${result.batch}: G ${result.params_g} params, D ${result.params_d}\n` +
            `  Gmain ${result.g_step_s.toFixed(3)} s  Dmain ${result.d_step_s.toFixed(3)} s  Dmain+R1 ${result.d_r1_step_s.toFixed(3)} s  ` +
            `Greg ${result.g_pl_step_s.toFixed(3)} s  sampling ${result.sample_img_s.toFixed(1)} img/s\n`,
        );
      }
    });
}
