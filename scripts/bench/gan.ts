/**
 * Benchmark of the StyleGAN2-ADA engine's training phases and sampling (see libs/gan/src/bench.ts).
 *   node --import tsx scripts/bench/gan.ts --res 32 --batch 16 [--cbase 16384 --cmax 512 --map 2 --zdim 512 --wdim 512] [--runs 5 --warmup 2]
 * Prints one JSON line. Compare with scripts/bench/gan-pytorch.py on the same flags.
 */
import { parseArgs } from 'node:util';
import { benchGan } from '@dermagan/gan';
import { loadTf } from '@dermagan/tf';
import { GAN_FLAGS } from './gan-flags.ts';

const { values } = parseArgs({
  options: {
    ...GAN_FLAGS,
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
  },
});
const n = (k: keyof typeof values) => Number(values[k]);
const { tf, info } = await loadTf();
const result = await benchGan(tf, info.name, {
  res: n('res'),
  batch: n('batch'),
  cbase: n('cbase'),
  cmax: n('cmax'),
  map: n('map'),
  zdim: n('zdim'),
  wdim: n('wdim'),
  runs: n('runs'),
  warmup: n('warmup'),
});
process.stdout.write(`${JSON.stringify(result)}\n`);
