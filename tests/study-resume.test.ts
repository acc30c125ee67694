/**
 * An interrupted study continues where it stopped (issue 19), as a user runs it: `dermagan study
 * --preset smoke` as a child process, stopped with Ctrl-C (SIGINT) while the GANs train, killed
 * (SIGKILL) while the federation runs and again while the classifiers train, then run to the end.
 * The last run redoes no finished step and its results equal an uninterrupted run's (the steps are
 * deterministic for a seed). Other data is refused with the reason; `--restart` redoes what it
 * names and nothing else.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESETS, STUDY_LOCK_FILE, StudyResults } from '@dermagan/study';

const BIN = new URL('../bin/dermagan.js', import.meta.url).pathname;
const DEMO = new URL('../data/demo', import.meta.url).pathname;

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Studies started by the tests: killed at the end, so a failed test leaves none running. */
const started = new Set<ChildProcess>();

/**
 * Run `dermagan study` on the demo data; `stop` (when given) is polled every 200 ms with the
 * stderr so far and returns the signal to send, once.
 */
function study(out: string, extra: string[] = [], stop?: (stderr: string) => Promise<NodeJS.Signals | null>, data = join(DEMO, 'metadata.csv')): Promise<Ran> {
  const child = spawn(process.execPath, [BIN, 'study', '--preset', 'smoke', '--data', data, '--out', out, ...extra], {
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  started.add(child);
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  let timer: NodeJS.Timeout | undefined;
  if (stop) {
    const poll = async () => {
      const signal = await stop(stderr);
      if (signal) child.kill(signal);
      else timer = setTimeout(poll, 200);
    };
    timer = setTimeout(poll, 200);
  }
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    }),
  );
}

/** The ledger's folder of the study in `out`. */
async function ledgerDir(out: string): Promise<string | null> {
  try {
    const { runId } = JSON.parse(await readFile(join(out, 'study.json'), 'utf8')) as { runId: string };
    return join(out, 'store', 'dermagan', 'runs', runId, 'study');
  } catch {
    return null;
  }
}

/** Names of the steps the study in `out` has records of in `folder` (steps: finished); a killed store write's temp file is none. */
async function recorded(out: string, folder: 'steps'): Promise<string[]> {
  const dir = await ledgerDir(out);
  if (!dir) return [];
  const names = await readdir(join(dir, folder)).catch(() => [] as string[]);
  return names.filter((f) => /^[^.].*\.json$/.test(f)).map((f) => f.replace(/\.json$/, ''));
}
const finished = (out: string) => recorded(out, 'steps');

/** Rounds the study has seen of its federation (its round log beside the federation's output). */
async function federationRounds(out: string): Promise<number> {
  const dir = await ledgerDir(out);
  if (!dir) return 0;
  const runDir = dirname(dir);
  for (const entry of await readdir(runDir).catch(() => [] as string[])) {
    if (!entry.startsWith('federation-')) continue;
    const rows = await readFile(join(runDir, entry, 'study-rounds.json'), 'utf8').then((t) => JSON.parse(t) as unknown[], () => []);
    return rows.length;
  }
  return 0;
}

const results = async (out: string) => StudyResults.parse(JSON.parse(await readFile(join(out, 'results.json'), 'utf8')));

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'study-resume-'));
});
afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(root, { recursive: true, force: true });
});

describe('an interrupted study continues where it stopped', () => {
  const out = () => join(root, 'interrupted');

  it('Ctrl-C while the GANs train: the tick is checkpointed, the command that continues is printed, exit 130', { timeout: 300_000 }, async () => {
    const ran = await study(out(), [], async (stderr) => (/train:[a-z-]+: 0\.032\/0\.064/.test(stderr) ? 'SIGINT' : null));
    expect(ran.code, ran.stderr).toBe(130);
    expect(ran.stderr).toMatch(/SIGINT: stopping — the running steps finish their tick or epoch and save a checkpoint/);
    expect(ran.stderr).toMatch(/train:[a-z-]+: continues at 0\.\d+\/0\.064 kimg/);
    expect(ran.stderr).toContain(`continue with:\n  npx dermagan study --preset smoke --data ${join(DEMO, 'metadata.csv')} --out ${out()}`);
    expect(await finished(out())).toContain('ingest');
    expect(await readdir(out())).not.toContain('results.json');
    expect(await readdir(out())).not.toContain(STUDY_LOCK_FILE); // released (cli/commands/study-lock.test.ts: the rest of the lock)
  });

  let kills = 0;
  it('killed (SIGKILL) while the federation runs or a classifier trains, up to twice: each run reuses what was done', { timeout: 300_000 }, async () => {
    const utility = PRESETS.smoke.utility.map((u) => `utility:${u.name}`);
    const total = PRESETS.smoke.federation!.rounds;
    for (let i = 0; i < 2; i++) {
      const before = await finished(out());
      const roundsBefore = await federationRounds(out());
      // Killed once the federation has a round more (not its last), or a classifier finished in this run and others remain.
      const ran = await study(out(), [], async () => {
        const rounds = await federationRounds(out());
        if (rounds > roundsBefore && rounds < total) return 'SIGKILL';
        const done = await finished(out());
        return done.some((s) => s.startsWith('utility:') && !before.includes(s)) && !utility.every((u) => done.includes(u)) ? 'SIGKILL' : null;
      });
      expect(ran.stderr).toMatch(new RegExp(`^continuing study study-\\S+ in .* \\(run ${i + 2}; earlier: run 1 .* interrupted`, 'm'));
      expect(ran.stderr).toMatch(/reused \(done before\): .*ingest/);
      if (i === 0) expect(ran.stderr).toMatch(/train:[a-z-]+: resuming at 0\.\d+\/0\.064 kimg/);
      if (ran.signal !== 'SIGKILL') {
        expect(ran.code, ran.stderr).toBe(0); // nothing was left to interrupt
        break;
      }
      kills++;
    }
    expect(kills).toBeGreaterThanOrEqual(1);
  });

  it('the last run finishes, redoes no finished step, and its results equal an uninterrupted run’s', { timeout: 300_000 }, async () => {
    const done = await finished(out());
    const last = await study(out());
    expect(last.code, last.stderr).toBe(0);
    expect(await readdir(out())).not.toContain(STUDY_LOCK_FILE);
    const r = await results(out());
    for (const name of done) expect(r.steps[name]!.status, name).toBe('reused');
    expect(Object.values(r.steps).filter((s) => s.status === 'done').length).toBe(Object.keys(r.steps).length - done.length);
    const runs = r.provenance.runs as Array<{ ended: string | null }>;
    expect(runs[0]!.ended).toBe('interrupted');
    expect(runs.slice(1, 1 + kills).map((x) => x.ended)).toEqual(Array(kills).fill(null)); // killed: no end recorded
    expect(runs.at(-1)!.ended).toBe('completed');

    const straight = join(root, 'straight');
    expect((await study(straight)).code).toBe(0);
    const s = await results(straight);
    // Scores in the pixel space and the classifiers' measures are bit-exact for a seed; Inception features
    // (multithreaded TensorFlow) are not, run to run, so the Inception FID rows are compared to 2 %.
    const scores = (x: typeof r, name: string) => (x.steps[name]!.output as { scores: unknown }).scores;
    // The central GANs resume bit-exactly from their checkpoints. A federation killed mid-round redoes that round
    // (its tenants' local training starts again from the round's global model), which is close but not bit-exact.
    for (const name of Object.keys(s.steps).filter((n) => n.startsWith('fidelity-pixels:') && !n.endsWith(':federated'))) expect(scores(r, name), name).toEqual(scores(s, name));
    const fd = (x: typeof r) => (scores(x, 'fidelity-pixels:federated') as { fd_pixels_rp64: number }).fd_pixels_rp64;
    expect(Math.abs(fd(r) - fd(s)) / fd(s)).toBeLessThan(0.05);
    expect(r.utility.map((u) => u.measures)).toEqual(s.utility.map((u) => u.measures));
    for (const [f, g] of r.fidelity.map((x, i) => [x, s.fidelity[i]!] as const)) expect(Math.abs(f.scores.fid! - g.scores.fid!) / g.scores.fid!).toBeLessThan(0.02);
    // Every round the continued study saw is the uninterrupted run's (a round that ended while no study process
    // watched a memory bus is not in the table: README, limits), and the last one is there.
    const straightRounds = new Map(s.federation!.rounds.map((x) => [x.round, x.accepted]));
    for (const x of r.federation!.rounds) expect(x.accepted).toEqual(straightRounds.get(x.round));
    expect(r.federation!.rounds.at(-1)!.round).toBe(PRESETS.smoke.federation!.rounds);
    expect(r.gans.map((g) => g.history.map((h) => h.kimg))).toEqual(s.gans.map((g) => g.history.map((h) => h.kimg)));
  });

  it('refuses other data with the reason; --restart redoes what it names and reuses the rest', { timeout: 300_000 }, async () => {
    const other = join(root, 'other-data');
    await cp(DEMO, other, { recursive: true });
    const csv = (await readFile(join(other, 'metadata.csv'), 'utf8')).split('\n');
    await writeFile(join(other, 'metadata.csv'), [...csv.slice(0, -3), ''].join('\n'));
    const refused = await study(out(), [], undefined, join(other, 'metadata.csv'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/holds a study made with other settings[\s\S]*data .*demo\/metadata\.csv → .*other-data\/metadata\.csv[\s\S]*steps whose inputs changed: ingest, ingest:tenants[\s\S]*--restart ingest/);

    const restarted = await study(out(), ['--restart', 'fidelity:ben-gan']);
    expect(restarted.code).toBe(0);
    expect(restarted.stderr).toContain('--restart: fidelity:ben-gan start afresh');
    expect(restarted.stderr).toContain('fidelity:ben-gan: done afresh: asked to restart (--restart)');
    const r = await results(out());
    expect(Object.entries(r.steps).filter(([, s]) => s.status === 'done').map(([n]) => n)).toEqual(['fidelity:ben-gan']);
  });
});
