/**
 * `dermagan lpips`: LPIPS-VGG16 distances between two dataset folders, pair by pair (image i of
 * --a with image i of --b, in manifest order), e.g. real images and their projections. Prints
 * `{"lpips": [...], "mean": ..., "provenance": ...}` as the --json line.
 */
import type { Command } from 'commander';
import { DatasetError, openDataset } from '@dermagan/dataset';
import { createLpips, MetricInputError } from '@dermagan/metrics';
import { DERMAGAN_VERSION } from '@dermagan/contracts';
import { loadTf } from '@dermagan/tf';
import { positiveInt, printJson, progress, UserError } from '../output.ts';

interface LpipsFlags {
  a: string;
  b: string;
  n?: number;
  json?: boolean;
}

async function open(flag: string, dir: string) {
  try {
    return await openDataset(dir);
  } catch (err) {
    if (err instanceof DatasetError || (err as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`${flag} ${dir}: ${(err as Error).message}`);
    throw err;
  }
}

export function registerLpips(program: Command): void {
  program
    .command('lpips')
    .description('LPIPS-VGG16 distance of image i of one dataset folder to image i of another')
    .requiredOption('--a <dir>', 'dataset folder')
    .requiredOption('--b <dir>', 'dataset folder of the same image size')
    .option('--n <count>', 'compare only the first N pairs (default: all; both folders must then hold the same number)', positiveInt('--n'))
    .option('--json', 'print the result as one JSON line')
    .action(async (flags: LpipsFlags) => {
      const a = await open('--a', flags.a);
      const b = await open('--b', flags.b);
      if (a.size !== b.size) throw new UserError(`--a holds ${a.size}×${a.size} images but --b ${b.size}×${b.size}: LPIPS compares images of one size`);
      const na = a.entries.length;
      const nb = b.entries.length;
      if (flags.n === undefined && na !== nb) throw new UserError(`--a holds ${na} images but --b ${nb}: pairs need the same count (or pass --n)`);
      const n = flags.n ?? na;
      if (n > na || n > nb) throw new UserError(`--n ${n} is more than --a (${na}) or --b (${nb}) holds`);
      if (n === 0) throw new UserError('there are no images to compare');
      const per = a.size * a.size * 3;
      const { tf, info } = await loadTf();
      const lpips = await createLpips(tf);
      const bar = progress('lpips', n);
      let distances: Float64Array;
      try {
        distances = new Float64Array(n);
        const chunk = 64;
        for (let start = 0; start < n; start += chunk) {
          const count = Math.min(chunk, n - start);
          const d = await lpips.pairs(a.pixels.subarray(start * per, (start + count) * per), b.pixels.subarray(start * per, (start + count) * per), count, a.size);
          distances.set(d, start);
          bar.update(start + count);
        }
      } catch (err) {
        if (err instanceof MetricInputError) throw new UserError(err.message);
        throw err;
      } finally {
        bar.stop();
        lpips.dispose();
      }
      const mean = distances.reduce((s, v) => s + v, 0) / n;
      const result = {
        lpips: Array.from(distances),
        mean,
        provenance: {
          network: { id: lpips.id, hash: lpips.hash, version: 'lpips v0.1 vgg', input: 'uint8 / 127.5 − 1, no resize' },
          a: { source: flags.a, fingerprint: a.manifest.fingerprint },
          b: { source: flags.b, fingerprint: b.manifest.fingerprint },
          pairs: n,
          imageSize: a.size,
          backend: info,
          dermaganVersion: DERMAGAN_VERSION,
        },
      };
      if (flags.json) printJson(result);
      else process.stdout.write(`lpips mean ${mean.toPrecision(6)} over ${n} pairs (${a.size}², LPIPS-VGG16)\n`);
    });
}
