/**
 * `dermagan ppl`: perceptual path length of a trained generator (NVlabs ppl2_wend: W space, 'end'
 * sampling, ε = 1e-4, P1–P99 filter), measured with LPIPS-VGG16 (`ppl`, comparable to published
 * PPL) and, in the same pass over the same path samples, between pixel vectors in [0, 1]
 * (`ppl_pixels`, the stand-in of earlier versions; another scale).
 */
import { Option, type Command } from 'commander';
import { FolderCheckpointSink, generatorPath, loadGenerator } from '@dermagan/gan';
import { createLpips, DEFAULTS, filteredMean, MetricInputError, perceptualPathLength, type ImageBatch } from '@dermagan/metrics';
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

/** ‖x₂ᵢ − x₂ᵢ₊₁‖² of pixel vectors scaled to [0, 1]: the pixel stand-in distance. */
function pixelDistances(images: ImageBatch): Float64Array {
  const [n2, h, w, c] = images.shape;
  const per = h * w * c;
  const out = new Float64Array(n2 / 2);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let k = 0; k < per; k++) {
      const d = (images.data[2 * i * per + k]! - images.data[(2 * i + 1) * per + k]!) / 255;
      s += d * d;
    }
    out[i] = s;
  }
  return out;
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
      const path = generatorPath(tf, loaded);
      const lpips = await createLpips(tf);
      const bar = progress('ppl', flags.samples);
      let done = 0;
      const pixel: number[] = [];
      const eps2 = flags.epsilon * flags.epsilon;
      let result;
      try {
        result = await perceptualPathLength(
          path,
          {
            async pairDistances(images) {
              for (const d of pixelDistances(images)) pixel.push(d / eps2);
              const d = await lpips.consecutivePairs(images.data, images.shape);
              done += d.length;
              bar.update(Math.min(done, flags.samples));
              return d;
            },
          },
          { samples: flags.samples, epsilon: flags.epsilon, sampling: flags.sampling, crop: flags.crop ?? false, seed: flags.seed },
        );
      } catch (err) {
        if (err instanceof MetricInputError) throw new UserError(err.message);
        throw err;
      } finally {
        bar.stop();
        lpips.dispose();
        loaded.G.ps.dispose();
      }
      const stand = filteredMean(pixel);
      const summary = {
        ppl: result.value,
        ppl_pixels: stand.value,
        provenance: {
          features: { ppl: { id: lpips.id, hash: lpips.hash, input: 'generator output in [-1, 1], unclamped, no resize' }, ppl_pixels: 'pixels in [0, 1] (not comparable to published PPL values)' },
          checkpoint: flags.ckpt,
          generator: loaded.provenance,
          samples: result.samples,
          epsilon: result.epsilon,
          sampling: result.sampling,
          space: 'w',
          crop: result.crop,
          seed: result.seed,
          kept: { ppl: [result.lo, result.hi], ppl_pixels: [stand.lo, stand.hi] },
          backend: info,
          dermaganVersion: result.dermaganVersion,
        },
      };
      if (flags.json) printJson(summary);
      else
        process.stdout.write(
          `ppl        ${result.value.toPrecision(5)} (LPIPS-VGG16)\nppl_pixels ${stand.value.toPrecision(5)} (pixel stand-in)\n` +
            `${result.samples} samples, ε ${result.epsilon}, ${result.sampling}, W space\n`,
        );
    });
}
