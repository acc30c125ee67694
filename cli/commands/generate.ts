/**
 * `dermagan generate`: sample a trained generator (G_ema) into a dataset folder (source.kind
 * 'generated'). A thin wrapper over `generateDataset()` in @dermagan/gan; with `--from-projection
 * DIR`, the projected images of a `dermagan project` folder regenerated from its w.npy and noise
 * maps instead (`regenerateProjectionDataset()` in @dermagan/projector).
 */
import { Option, type Command } from 'commander';
import { CheckpointError, FolderCheckpointSink, GenerateError, generateDataset, loadGenerator } from '@dermagan/gan';
import { DATASET_FOLDER } from '@dermagan/dataset';
import { checkOutputFolder } from '@dermagan/safe-io';
import { ProjectorError, regenerateProjectionDataset } from '@dermagan/projector';
import { loadTf, type Tf } from '@dermagan/tf';
import { UserError, finiteNumber, positiveInt, printJson, progress } from '../output.ts';

interface GenerateFlags {
  ckpt: string;
  n?: number;
  fromProjection?: string;
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
    .option('--n <n>', 'images per class (conditional) or in total (unconditional); required unless --from-projection', positiveInt('--n'))
    .option('--from-projection <dir>', "regenerate the projected images of a 'dermagan project' output folder from its w.npy and noise maps, instead of sampling (--n, --class, --seed, --trunc, --noise do not apply)")
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
      if (flags.fromProjection !== undefined && (flags.n !== undefined || flags.class)) throw new UserError('--from-projection regenerates the projection\'s own images: drop --n and --class');
      if (flags.fromProjection === undefined && flags.n === undefined) throw new UserError("give --n (images per class, or in total), or --from-projection DIR to regenerate a projection's images");
      await checkOutputFolder(flags.out, DATASET_FOLDER);
      const { tf, info } = await loadTf();
      if (flags.fromProjection !== undefined) return fromProjection(tf, flags, flags.fromProjection);
      let bar;
      try {
        const loaded = await loadGenerator(tf, new FolderCheckpointSink(flags.ckpt));
        bar = progress('generate', 0);
        const b = bar;
        const result = await generateDataset(
          tf,
          loaded,
          {
            n: flags.n!,
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

async function fromProjection(tf: Tf, flags: GenerateFlags, dir: string): Promise<void> {
  try {
    const loaded = await loadGenerator(tf, new FolderCheckpointSink(flags.ckpt));
    const r = await regenerateProjectionDataset(tf, loaded, dir, flags.out, { batch: flags.batch });
    loaded.G.ps.dispose();
    const summary = { out: flags.out, images: r.images, identical: r.identical, from_projection: dir, fingerprint: r.manifest.fingerprint };
    if (flags.json) printJson(summary);
    else process.stdout.write(`${r.images} images → ${flags.out}, ${r.identical} identical to ${dir}/projected\n`);
  } catch (err) {
    if (err instanceof CheckpointError || err instanceof ProjectorError) throw new UserError(err.message, { cause: err });
    throw err;
  }
}
