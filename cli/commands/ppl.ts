/**
 * `dermagan ppl`: perceptual path length of a trained generator (NVlabs ppl2_wend: W space, 'end'
 * sampling, ε = 1e-4, P1–P99 filter), measured with LPIPS-VGG16 (`ppl`, comparable to published
 * PPL) and, in the same pass over the same path samples, between pixel vectors in [0, 1]
 * (`ppl_pixels`, the stand-in of earlier versions; another scale).
 */
import { Option, type Command } from 'commander';
import { FolderCheckpointSink, generatorPath, loadGenerator } from '@dermagan/gan';
import { DEFAULTS, lpipsPerceptualPathLength, MetricInputError } from '@dermagan/metrics';
import { loadTf } from '@dermagan/tf';
import { finiteNumber, positiveInt, printJson, progress, UserError } from '../output.ts';

interface PplFlags {
  ckpt: string;
  samples: number;
  epsilon: number;
  sampling: 'end' | 'full';
  crop?: boolean;
  seed: number;
  json?: boolean;
}

export function registerPpl(program: Command): void {
  program
    .command('ppl')
    .description('Perceptual path length of a trained generator (W space, end-point sampling): ppl (LPIPS-VGG16) and ppl_pixels')
    .requiredOption('--ckpt <dir>', 'training checkpoint folder (OUT/checkpoint of dermagan train)')
    .option('--samples <n>', 'path samples (the reference: 50,000)', positiveInt('--samples'), 2000)
    .option('--epsilon <ε>', 'path step', finiteNumber('--epsilon'), DEFAULTS.pplEpsilon)
    .addOption(new Option('--sampling <mode>', "'end' (t = 0, ppl2_wend) or 'full' (t ~ U[0,1))").choices(['end', 'full']).default('end'))
    .option('--crop', 'crop to the central region before measuring (the FFHQ variants)')
    .option('--seed <n>', 'seed of the end-point sampler', (v) => Number.parseInt(v, 10), 0)
    .option('--json', 'print the result as one JSON line')
    .action(async (flags: PplFlags) => {
      const { tf, info } = await loadTf();
      const loaded = await loadGenerator(tf, new FolderCheckpointSink(flags.ckpt));
      const bar = progress('ppl', flags.samples);
      let result;
      try {
        result = await lpipsPerceptualPathLength(
          tf,
          generatorPath(tf, loaded),
          { samples: flags.samples, epsilon: flags.epsilon, sampling: flags.sampling, crop: flags.crop ?? false, seed: flags.seed },
          (done) => bar.update(Math.min(done, flags.samples)),
        );
      } catch (err) {
        if (err instanceof MetricInputError) throw new UserError(err.message);
        throw err;
      } finally {
        bar.stop();
        loaded.G.ps.dispose();
      }
      const { features, ...rest } = result.provenance;
      const summary = {
        ppl: result.ppl,
        ppl_pixels: result.ppl_pixels,
        provenance: { features, checkpoint: flags.ckpt, generator: loaded.provenance, ...rest, backend: info },
      };
      if (flags.json) printJson(summary);
      else
        process.stdout.write(
          `ppl        ${result.ppl.toPrecision(5)} (LPIPS-VGG16)\nppl_pixels ${result.ppl_pixels.toPrecision(5)} (pixel stand-in)\n` +
            `${rest.samples} samples, ε ${rest.epsilon}, ${rest.sampling}, W space\n`,
        );
    });
}
