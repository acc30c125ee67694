/**
 * `dermagan explain run | frames`: explanations of a trained classifier and generator (embeddings
 * and the 3-D page, edge cases and latent neighbours, XRAI heat maps, latent directions, the
 * frame-removal experiment) and the dermoscope-frame detector, as thin wrappers over
 * @dermagan/explain.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ClassifierInputError } from '@dermagan/classifier';
import { ExplainPart } from '@dermagan/contracts';
import { DatasetError, openDataset } from '@dermagan/dataset';
import { detectFrames, EXPLAIN_PARTS, ExplainInputError, runExplanation } from '@dermagan/explain';
import { CheckpointError, GenerateError } from '@dermagan/gan';
import { loadTf } from '@dermagan/tf';
import { UserError, nonNegativeInt, positiveInt, printJson, progress } from '../output.ts';

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
}
