/**
 * What `dermagan metrics` holds while it scores two dataset folders: FID of n against n images at
 * size², wall time and the process's peak RSS, for this checkout and, to compare, for another
 * checkout's CLI (e.g. a worktree of a commit from before the datasets were streamed). One JSON
 * line on stdout. Not a test.
 *
 *   node --import tsx scripts/bench/metrics-memory.ts [--n 2000] [--size 256] [--extractor ID] [--compare /path/to/other/bin/dermagan.js]
 * `--extractor pixels-rp64` (a cheap projection) shows the data path alone on large n in minutes;
 * the default, Inception-2015, adds the network's own memory and takes ~0.1 s per image on 2 cores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { timeCliFid, writeFidDatasets } from './fid-datasets.ts';

const { values: args } = parseArgs({
  options: { n: { type: 'string', default: '2000' }, size: { type: 'string', default: '256' }, extractor: { type: 'string' }, compare: { type: 'string' } },
});
const extra = args.extractor ? ['--extractor', args.extractor] : [];
const n = Number(args.n);
const size = Number(args.size);
const dir = mkdtempSync(join(tmpdir(), 'dermagan-bench-metrics-memory-'));
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
try {
  log(`writing two datasets of ${n} images at ${size}² (pixels: ${((2 * n * size * size * 3) / 2 ** 20).toFixed(0)} MiB)`);
  await writeFidDatasets(dir, n, size);
  const result: Record<string, unknown> = { n, size: `${size}²`, extractor: args.extractor ?? 'inception-2015', pixelBytesBothSets: 2 * n * size * size * 3 };
  log('this checkout');
  result.current = timeCliFid(dir, undefined, extra);
  log(JSON.stringify(result.current));
  if (args.compare) {
    log(`compare: ${args.compare}`);
    result.compare = { bin: args.compare, ...timeCliFid(dir, args.compare, extra) };
    log(JSON.stringify(result.compare));
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
