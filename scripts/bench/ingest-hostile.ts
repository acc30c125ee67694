/**
 * What hostile inputs cost ingest now that its limits hold (libs/ingest/src/limits.ts): a CSV of a
 * million columns, a CSV whose one line is 200 MB, a 16000² and a 30000² PNG bomb, an SVG with an
 * external href. Each case runs in a fresh process so its peak memory is its own.
 *
 *   node --import tsx scripts/bench/ingest-hostile.ts
 * Prints one JSON line: per case the outcome (error or quarantine reason), milliseconds and the
 * process's peak RSS in MiB (a bare process with sharp loaded is the baseline).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadSource, preprocessFile } from '@dermagan/ingest';
import { pngBomb, svgWithExternalHref } from '../../libs/ingest/src/testing/images.ts';

const CASES = ['baseline', 'csv-1e6-columns', 'csv-200mb-line', 'png-bomb-16000', 'png-30000', 'svg-external-href'] as const;
type Case = (typeof CASES)[number];

/** Write every case's input into `dir` (in the parent, so no child's memory holds it). */
function prepareAll(dir: string): void {
  writeFileSync(join(dir, 'wide.csv'), `${Array.from({ length: 1_000_000 }, (_, i) => `c${i}`).join(',')}\nx\n`);
  const line = Buffer.alloc(200 * 2 ** 20, '1');
  writeFileSync(join(dir, 'long.csv'), Buffer.concat([Buffer.from('image_id,patient_id,target\nA,P,'), line, Buffer.from('\n')]));
  writeFileSync(join(dir, 'bomb-16000.png'), pngBomb(16000, 16000));
  writeFileSync(join(dir, 'big-30000.png'), pngBomb(30000, 30000));
  writeFileSync(join(dir, 'external.svg'), svgWithExternalHref());
}

/** The work of one case over the prepared inputs. */
function work(name: Case, dir: string): () => Promise<unknown> {
  const opts = { size: 256, minSide: 32 };
  switch (name) {
    case 'baseline':
      return async () => undefined;
    case 'csv-1e6-columns':
      return () => loadSource(join(dir, 'wide.csv'), 'derm-sample');
    case 'csv-200mb-line':
      return () => loadSource(join(dir, 'long.csv'), 'derm-sample');
    case 'png-bomb-16000':
      return () => preprocessFile(join(dir, 'bomb-16000.png'), opts);
    case 'png-30000':
      return () => preprocessFile(join(dir, 'big-30000.png'), opts);
    case 'svg-external-href':
      return () => preprocessFile(join(dir, 'external.svg'), opts);
  }
}

async function outcome(work: () => Promise<unknown>): Promise<string> {
  try {
    const r = (await work()) as { ok?: boolean; reason?: string } | undefined;
    return r === undefined ? 'nothing' : r.ok === false ? `quarantined: ${r.reason}` : 'accepted';
  } catch (err) {
    return `refused: ${(err as Error).message.slice(0, 120)}`;
  }
}

const { values } = parseArgs({ options: { case: { type: 'string' }, dir: { type: 'string' } } });
if (values.case) {
  // One case in this (child) process.
  const run = work(values.case as Case, values.dir!);
  const started = performance.now();
  const result = await outcome(run);
  const ms = Math.round(performance.now() - started);
  process.stdout.write(`${JSON.stringify({ result, ms, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-hostile-'));
  try {
    prepareAll(dir);
    const results: Record<string, unknown> = {};
    for (const c of CASES) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--case', c, '--dir', dir], { encoding: 'utf8', maxBuffer: 1 << 20 });
      results[c] = JSON.parse(out.trim().split('\n').at(-1)!);
    }
    process.stdout.write(`${JSON.stringify(results)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
