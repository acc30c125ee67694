/**
 * `dermagan generate`: sample a trained generator (G_ema) into a dataset folder (source.kind
 * 'generated'). A thin wrapper over `generateDataset()` in @dermagan/gan.
 */
import { Option, type Command } from 'commander';
import { CheckpointError, FolderCheckpointSink, GenerateError, generateDataset, loadGenerator } from '@dermagan/gan';
import { DATASET_FOLDER } from '@dermagan/dataset';
import { checkOutputFolder } from '@dermagan/safe-io';
import { loadTf } from '@dermagan/tf';
import { UserError, finiteNumber, positiveInt, printJson, progress } from '../output.ts';

interface GenerateFlags {
  ckpt: string;
  n: number;
  class?: number[];
  seed: number;
  trunc: number;
  cutoff?: number;
  noise: 'const' | 'random' | 'none';
  batch: number;
  out: string;
  json?: boolean;
}

function classList(v: string): number[] {
  const parts = v.split(',').map((s) => Number(s.trim()));
  if (parts.some((n) => !Number.isInteger(n) || n < 0)) throw new UserError(`--class must be a class index or a comma-separated list (e.g. 0 or 0,1), got "${v}"`);
  return parts;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('Generate images from a training checkpoint (G_ema) into a dataset folder')
    .requiredOption('--ckpt <dir>', "checkpoint folder (OUT/checkpoint of 'dermagan train')")
    .requiredOption('--n <n>', 'images per class (conditional) or in total (unconditional)', positiveInt('--n'))
    .option('--class <c>', 'class(es) to generate with a conditional generator, e.g. 1 or 0,1 (default: all)', classList)
    .option('--seed <s>', 'seed of image 0; image i uses seed + i', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new UserError(`--seed must be an integer ≥ 0, got "${v}"`);
      return n;
    }, 0)
    .option('--trunc <psi>', 'truncation ψ (1 = none)', finiteNumber('--trunc'), 1)
    .option('--cutoff <k>', 'truncate only the first k ws', positiveInt('--cutoff'))
    .addOption(new Option('--noise <mode>', 'noise inputs').choices(['const', 'random', 'none']).default('const'))
    .option('--batch <n>', 'images per forward pass', positiveInt('--batch'), 32)
    .requiredOption('--out <dir>', 'output dataset folder (created; a previous dataset there is replaced, anything else refused)')
    .option('--json', 'print the result as one JSON line on stdout')
    .action(async (flags: GenerateFlags) => {
      await checkOutputFolder(flags.out, DATASET_FOLDER);
      const { tf, info } = await loadTf();
      let bar;
      try {
        const loaded = await loadGenerator(tf, new FolderCheckpointSink(flags.ckpt));
        bar = progress('generate', 0);
        const b = bar;
        const result = await generateDataset(
          tf,
          loaded,
          {
            n: flags.n,
            ...(flags.class ? { classes: flags.class } : {}),
            seed: flags.seed,
            truncation: flags.trunc,
            ...(flags.cutoff !== undefined ? { truncationCutoff: flags.cutoff } : {}),
            noiseMode: flags.noise,
            batch: flags.batch,
          },
          flags.out,
          { ...info },
          (done, total) => {
            b.setTotal(total);
            b.update(done);
          },
        );
        bar.stop();
        const summary = { out: flags.out, images: result.images, labels: result.manifest.labels, fingerprint: result.manifest.fingerprint, backend: info.name };
        if (flags.json) printJson(summary);
        else process.stdout.write(`${result.images} images → ${flags.out} (${result.manifest.size}×${result.manifest.size})\n`);
      } catch (err) {
        bar?.stop();
        if (err instanceof CheckpointError || err instanceof GenerateError) throw new UserError(err.message, { cause: err });
        throw err;
      }
    });
}
