/**
 * `dermagan explain run | frames`: explanations of a trained classifier and generator (embeddings
 * and the 3-D page, edge cases and latent neighbours, XRAI heat maps, latent directions, the
 * frame-removal experiment) and the dermoscope-frame detector, as thin wrappers over
 * @dermagan/explain.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ClassifierInputError } from '@dermagan/classifier';
import { ExplainPart, LatentDirections } from '@dermagan/contracts';
import { DatasetError, openDataset } from '@dermagan/dataset';
import { wProjector } from '@dermagan/projector';
import { detectFrames, editStrip, EXPLAIN_PARTS, ExplainInputError, linspace, pickDirection, runExplanation, tilesPng } from '@dermagan/explain';
import { CheckpointError, FolderCheckpointSink, GenerateError, loadGenerator, Rng } from '@dermagan/gan';
import { loadTf } from '@dermagan/tf';
import { UserError, finiteNumber, nonNegativeInt, positiveInt, printJson, progress } from '../output.ts';

/** Bad input from the libraries becomes a UserError (exit 2, no stack). */
async function asUserErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ExplainInputError || err instanceof ClassifierInputError || err instanceof DatasetError || err instanceof CheckpointError || err instanceof GenerateError) {
      throw new UserError(err.message, { cause: err });
    }
    throw err;
  }
}

/** `--synth NAME=DIR` (repeatable; a bare DIR is named after its folder). */
function synthetic(value: string, previous: Array<{ name: string; dir: string }> = []) {
  const at = value.indexOf('=');
  const [name, dir] = at > 0 ? [value.slice(0, at), value.slice(at + 1)] : [value.replace(/\/+$/, '').split('/').pop()!, value];
  if (!dir) throw new UserError(`--synth takes NAME=DIR or DIR, got "${value}"`);
  return [...previous, { name, dir }];
}

function parts(value: string) {
  const list = value.split(',').map((p) => p.trim()).filter(Boolean);
  for (const p of list) if (!ExplainPart.safeParse(p).success) throw new UserError(`--parts: unknown part "${p}"; known: ${EXPLAIN_PARTS.join(', ')}`);
  if (list.length === 0) throw new UserError(`--parts needs at least one of ${EXPLAIN_PARTS.join(', ')}`);
  return list as ExplainPart[];
}

interface RunFlags {
  classifier: string;
  data: string;
  synth?: Array<{ name: string; dir: string }>;
  generator?: string;
  parts: ExplainPart[];
  options?: string;
  seed: number;
  maxPerSet?: number;
  out: string;
  json?: boolean;
}

export function registerExplain(program: Command): void {
  const explain = program.command('explain').description('Explain the classifier and the generator: embeddings, edge cases, XRAI, latent directions, frame removal');

  explain
    .command('run')
    .description('Run the explanation parts; writes OUT/summary.json, OUT/view-3d.html (open it in a browser, offline), heat maps, edit strips and directions.json')
    .requiredOption('--classifier <dir>', 'trained classifier folder (dermagan classifier train --out)')
    .requiredOption('--data <dir>', 'the real dataset the classifier was trained on (edge cases from its train split; retrained classifiers tested on its test split)')
    .option('--synth <name=dir>', 'a synthetic dataset to embed beside the real images (repeatable)', synthetic)
    .option('--generator <dir>', "the generator's checkpoint folder (dermagan train --out …/checkpoint): directions, neighbours, frame removal")
    .option('--parts <list>', `comma-separated parts (${EXPLAIN_PARTS.join(', ')})`, parts, [...EXPLAIN_PARTS])
    .option('--options <file>', 'JSON file of libs/explain options (e.g. {"tsne":{"perplexity":20},"frameRemoval":{"perClass":1000}})')
    .option('--seed <n>', 'seed of every draw', nonNegativeInt('--seed'), 0)
    .option('--max-per-set <n>', 'embed at most this many images per dataset', positiveInt('--max-per-set'))
    .requiredOption('--out <dir>', 'output folder')
    .option('--json', 'print the headline numbers as one JSON line on stdout')
    .action(async (flags: RunFlags) => {
      let options: Record<string, unknown> = {};
      if (flags.options) {
        try {
          options = JSON.parse(await readFile(flags.options, 'utf8')) as Record<string, unknown>;
        } catch (err) {
          throw new UserError(`--options ${flags.options} is not a readable JSON file: ${(err as Error).message}`);
        }
      }
      options = { ...options, seed: flags.seed, ...(flags.maxPerSet ? { maxPerSet: flags.maxPerSet } : {}) };
      const { tf, info } = await loadTf();
      let bar: ReturnType<typeof progress> | undefined;
      let current = '';
      const summary = await asUserErrors(() =>
        runExplanation(tf, info, {
          name: resolve(flags.out).split('/').pop() ?? 'explanation',
          classifier: flags.classifier,
          real: flags.data,
          synthetic: flags.synth ?? [],
          generator: flags.generator ? { dir: flags.generator, ref: { path: resolve(flags.generator) } } : null,
          parts: flags.parts,
          options,
          out: flags.out,
          projector: wProjector(tf),
          onProgress: (step, done, total, status) => {
            if (step !== current) {
              bar?.stop();
              bar = progress(step, total);
              current = step;
            }
            bar?.update(done, status);
          },
        }),
      );
      bar?.stop();
      for (const [what, why] of Object.entries(summary.skipped)) process.stderr.write(`skipped ${what}: ${why}\n`);
      process.stderr.write(`explanation written to ${flags.out} (summary.json, view-3d.html)\n`);
      if (flags.json) printJson({ out: flags.out, ...summary.numbers, skipped: summary.skipped });
    });

  explain
    .command('frames')
    .description('Run the dermoscope-frame detector over a dataset; prints the share of framed images and lists them')
    .requiredOption('--data <dir>', 'dataset folder (real or synthetic)')
    .option('--json', 'print {n, framed, share, ids} as one JSON line on stdout')
    .action(async (flags: { data: string; json?: boolean }) => {
      const set = await asUserErrors(() => openDataset(flags.data));
      const verdicts = await detectFrames(set.pixels, set.entries.length, set.size);
      const ids = set.entries.filter((_, i) => verdicts[i]!.frame).map((e) => e.id);
      const result = { n: set.entries.length, framed: ids.length, share: set.entries.length ? ids.length / set.entries.length : 0, ids };
      if (flags.json) printJson(result);
      else process.stdout.write(`${ids.length} of ${result.n} images framed (${(100 * result.share).toFixed(1)} %)\n${ids.join('\n')}${ids.length ? '\n' : ''}`);
    });

  explain
    .command('edit')
    .description("Render one sample edited along a direction of a directions.json (explain run's): a strip PNG")
    .requiredOption('--generator <dir>', "the generator's checkpoint folder the directions were found for")
    .requiredOption('--directions <file>', 'directions.json written by explain run')
    .requiredOption('--direction <name>', 'a label ("SeFa 2", "frame present") or kind:index ("ganspace:0")')
    .option('--seed <n>', 'seed of the sample (z)', nonNegativeInt('--seed'), 0)
    .option('--class <c>', 'class of the sample (conditional generators)', nonNegativeInt('--class'), 0)
    .option('--steps <n>', 'images in the strip', positiveInt('--steps'), 7)
    .option('--range <r>', "edit from −r to r times the direction's scale", finiteNumber('--range'), 3)
    .option('--psi <ψ>', 'truncation of the sample on the first 8 ws', finiteNumber('--psi'), 0.7)
    .requiredOption('--out <file>', 'output PNG')
    .action(async (flags: { generator: string; directions: string; direction: string; seed: number; class: number; steps: number; range: number; psi: number; out: string }) => {
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(flags.directions, 'utf8'));
      } catch (err) {
        throw new UserError(`--directions ${flags.directions} is not a readable JSON file: ${(err as Error).message}`);
      }
      const parsed = LatentDirections.safeParse(raw);
      if (!parsed.success) throw new UserError(`--directions ${flags.directions} is not a directions file: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
      const picked = await asUserErrors(async () => pickDirection(parsed.data, flags.direction));
      const { tf } = await loadTf();
      const loaded = await asUserErrors(() => loadGenerator(tf, new FolderCheckpointSink(flags.generator)));
      const G = loaded.G;
      if (G.cfg.wDim !== parsed.data.wDim || G.numWs !== parsed.data.numWs) {
        throw new UserError(`--directions were found for a generator with w ${parsed.data.wDim}-d and ${parsed.data.numWs} ws; ${flags.generator} has ${G.cfg.wDim} and ${G.numWs}`);
      }
      if (G.cfg.cDim > 0 && flags.class >= G.cfg.cDim) throw new UserError(`--class must be below ${G.cfg.cDim}, got ${flags.class}`);
      const ws = tf.tidy(() => {
        const z = tf.tensor2d(new Rng(flags.seed).normal(G.cfg.zDim), [1, G.cfg.zDim]);
        const c = G.cfg.cDim > 0 ? tf.oneHot(tf.tensor1d([flags.class], 'int32'), G.cfg.cDim).toFloat() : undefined;
        return (G.mapping.apply(z, c as never, { psi: flags.psi, cutoff: 8 }) as import('@tensorflow/tfjs').Tensor).dataSync() as Float32Array;
      });
      const steps = linspace(-flags.range * picked.scale, flags.range * picked.scale, flags.steps);
      const images = editStrip(tf, G, Float32Array.from(ws), picked.direction, steps, picked.set.layers);
      const r = G.cfg.resolution;
      const per = r * r * 3;
      await writeFile(flags.out, await tilesPng(Array.from({ length: flags.steps }, (_, i) => images.subarray(i * per, (i + 1) * per)), r, flags.steps, r < 64 ? 3 : 1));
      G.ps.dispose();
      process.stderr.write(`${picked.label} (${picked.set.kind}), steps ${steps.map((v) => v.toFixed(2)).join(', ')} → ${flags.out}\n`);
    });
}
