/**
 * `dermagan ppl`: perceptual path length of a trained generator (NVlabs ppl2_wend: W space, 'end'
 * sampling, ε = 1e-4, P1–P99 filter). The reference measures distances with LPIPS (VGG16); where
 * those weights are not available the distance is taken between pixel vectors in [0, 1] and the
 * result is reported as `ppl_pixels`, never as `ppl`, because its scale is another.
 */
import { Option, type Command } from 'commander';
import { FolderCheckpointSink, generatorPath, loadGenerator } from '@dermagan/gan';
import { DEFAULTS, perceptualPathLength, type ImageBatch } from '@dermagan/metrics';
import { loadTf } from '@dermagan/tf';
import { finiteNumber, positiveInt, printJson, progress } from '../output.ts';

interface PplFlags {
  ckpt: string;
  samples: number;
  epsilon: number;
  sampling: 'end' | 'full';
  crop?: boolean;
  seed: number;
  json?: boolean;
}

/** Pixel vectors scaled to [0, 1]: the stand-in feature space when no LPIPS network is given. */
function pixelFeatures(images: ImageBatch): Float32Array {
  const out = new Float32Array(images.data.length);
  for (let i = 0; i < out.length; i++) out[i] = images.data[i]! / 255;
  return out;
}

export function registerPpl(program: Command): void {
  program
    .command('ppl')
    .description('Perceptual path length of a trained generator (W space, end-point sampling) — in pixel space: ppl_pixels')
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
      const path = generatorPath(tf, loaded);
      const bar = progress('ppl', flags.samples);
      let done = 0;
      const result = await perceptualPathLength(
        path,
        (images) => {
          done += images.shape[0] / 2;
          bar.update(Math.min(done, flags.samples));
          return pixelFeatures(images);
        },
        { samples: flags.samples, epsilon: flags.epsilon, sampling: flags.sampling, crop: flags.crop ?? false, seed: flags.seed },
      );
      bar.stop();
      loaded.G.ps.dispose();
      const summary = {
        ppl_pixels: result.value,
        provenance: {
          features: 'pixels in [0, 1] (not LPIPS: not comparable to published PPL values)',
          checkpoint: flags.ckpt,
          generator: loaded.provenance,
          samples: result.samples,
          epsilon: result.epsilon,
          sampling: result.sampling,
          crop: result.crop,
          seed: result.seed,
          kept: [result.lo, result.hi],
          backend: info,
          dermaganVersion: result.dermaganVersion,
        },
      };
      if (flags.json) printJson(summary);
      else process.stdout.write(`ppl_pixels ${result.value.toPrecision(5)} (${result.samples} samples, ε ${result.epsilon}, ${result.sampling})\n`);
    });
}
