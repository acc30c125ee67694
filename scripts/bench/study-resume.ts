/**
 * What an interrupted study costs (issue 19): one JSON line on stdout, progress on stderr.
 *
 * 1. `dermagan study --preset P` uninterrupted, into a fresh folder: its wall time T.
 * 2. The same study into another fresh folder, stopped with SIGINT (or `--signal SIGKILL`) at
 *    each of the `--at` fractions of T (default 1/3 and 2/3: twice), each time run again at once
 *    with the same command, to the end. The sum of the parts (each process from start to exit,
 *    TensorFlow's load included) against T, and per interruption the work lost: the extra wall time
 *    divided by the interruptions (what was redone since the last checkpoint, plus a restart).
 * 3. Whether the two studies' results agree (fidelity scores and classifier measures).
 *
 *   node --import tsx scripts/bench/study-resume.ts [--preset quick|smoke] [--at 0.33,0.67] [--signal SIGINT|SIGKILL] [--root DIR]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'quick' },
    at: { type: 'string', default: '0.33,0.67' },
    signal: { type: 'string', default: 'SIGINT' },
    root: { type: 'string' },
  },
});
const BIN = new URL('../../bin/dermagan.js', import.meta.url).pathname;
const log = (s: string) => process.stderr.write(`${s}\n`);
const signal = args.signal as NodeJS.Signals;
const fractions = args.at.split(',').map(Number);

/** One `dermagan study` process: its wall seconds and exit; stopped with `signal` after `stopAfterS` seconds when given. */
function study(out: string, stopAfterS?: number): Promise<{ seconds: number; code: number | null; stopped: boolean }> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'study', '--preset', args.preset, '--out', out], { env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' }, stdio: ['ignore', 'ignore', 'inherit'] });
  let stopped = false;
  const timer = stopAfterS === undefined ? undefined : setTimeout(() => ((stopped = true), child.kill(signal)), stopAfterS * 1000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ seconds: (performance.now() - started) / 1000, code, stopped });
    }),
  );
}

interface Results {
  fidelity: Array<{ model: string; scores: Record<string, number> }>;
  utility: Array<{ name: string; measures: Record<string, unknown> }>;
}
const results = async (out: string) => JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as Results;

const root = args.root ?? (await mkdtemp(join(tmpdir(), 'bench-study-resume-')));
log(`[bench] ${args.preset} study uninterrupted…`);
const straight = await study(join(root, 'straight'));
if (straight.code !== 0) throw new Error(`the uninterrupted study exited with ${straight.code}`);

log(`[bench] the same study, ${signal} at ${fractions.join(', ')} of ${straight.seconds.toFixed(0)} s…`);
const parts: Array<{ seconds: number; code: number | null; stopped: boolean }> = [];
let elapsed = 0;
for (const f of fractions) {
  const part = await study(join(root, 'interrupted'), Math.max(1, f * straight.seconds - elapsed));
  parts.push(part);
  elapsed += part.seconds;
  if (!part.stopped) break; // it finished before the interruption was due
}
if (parts.at(-1)!.stopped) parts.push(await study(join(root, 'interrupted')));
const interruptions = parts.filter((p) => p.stopped).length;
const sum = parts.reduce((s, p) => s + p.seconds, 0);

const [a, b] = await Promise.all([results(join(root, 'straight')), results(join(root, 'interrupted'))]);
const same = JSON.stringify([a.fidelity.map((f) => f.scores), a.utility.map((u) => u.measures)]) === JSON.stringify([b.fidelity.map((f) => f.scores), b.utility.map((u) => u.measures)]);
process.stdout.write(
  `${JSON.stringify({
    preset: args.preset,
    signal,
    uninterruptedSeconds: Number(straight.seconds.toFixed(1)),
    parts: parts.map((p) => ({ seconds: Number(p.seconds.toFixed(1)), exit: p.code, stopped: p.stopped })),
    interruptions,
    sumOfPartsSeconds: Number(sum.toFixed(1)),
    extraSeconds: Number((sum - straight.seconds).toFixed(1)),
    lostPerInterruptionSeconds: interruptions > 0 ? Number(((sum - straight.seconds) / interruptions).toFixed(1)) : 0,
    sameResults: same,
    root,
  })}\n`,
);
