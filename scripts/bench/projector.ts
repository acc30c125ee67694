/**
 * Projection throughput (issue 13): dermagan's batched projector (libs/projector `projectImages`,
 * LPIPS-VGG16 distance, the path of `dermagan project`) against NVlabs `projector.py` on torch CPU
 * (scripts/bench/projector_ref.py), size by size in one run — ours, then the reference, at each
 * size — so the load of a shared machine falls on both alike. One JSON line per size on stdout,
 * progress on stderr:
 *
 *   node --import tsx scripts/bench/projector.ts [--sizes 32,64,128] [--steps 20] [--batch 16]
 *     [--cbase 16384 --cmax 512 --map 2 --zdim 512 --wdim 512]
 *     [--python /work/wt/projbench-venv/bin/python] [--repo /tmp/nvlabs-sg2ada] [--skip-ref]
 *
 * Each size gets a fresh (untrained, randomly initialised) generator of the given architecture —
 * the paper preset's by default — saved as a checkpoint with libs/gan's writer and loaded as the
 * CLI loads one; the reference builds NVlabs' Generator with the same architecture. Untrained
 * weights change nothing in the time of a step. Both sides project random target images.
 *
 * Timing: a step's time is the steady one, from the end of the first step to the end of the last
 * over steps − 1 (the first step, with the backends' warm-up, left out), and the CPU time the
 * process spent over those steps (every thread), a measure of the work that load disturbs less
 * than wall time; everything else the run
 * took (w_avg from 10 000 mapping samples, target features, the final images and distances, state
 * saves; the reference's deep copy of G) is its overhead. A few steps are measured and the
 * 1000-step figure extrapolated: images per hour = 3600 · images / (overhead + 1000 · step). The
 * reference pays its overhead per image; ours pays it per batch here (w_avg once per run in a
 * real one, so ours is, if anything, understated).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FolderCheckpointSink, freshModel, loadGenerator, Rng } from '@dermagan/gan';
import { createPerceptual, DEFAULT_PERCEPTUAL, MemoryStateStore, PROJECTOR_DEFAULTS, projectImages, projectorOptions } from '@dermagan/projector';
import { loadTf } from '@dermagan/tf';
import { GAN_FLAGS } from './gan-flags.ts';

const { res: _res, batch: _trainingBatch, ...NETWORK_FLAGS } = GAN_FLAGS;
const { values: args } = parseArgs({
  options: {
    ...NETWORK_FLAGS,
    sizes: { type: 'string', default: '32,64,128' },
    steps: { type: 'string', default: '20' },
    batch: { type: 'string', default: String(PROJECTOR_DEFAULTS.batch) },
    python: { type: 'string', default: '/work/wt/projbench-venv/bin/python' },
    repo: { type: 'string', default: '/tmp/nvlabs-sg2ada' },
    'skip-ref': { type: 'boolean', default: false },
  },
});
const EXTRAPOLATE_TO = 1000;
const log = (s: string) => process.stderr.write(`${s}\n`);
const int = (name: keyof typeof args) => {
  const v = Number(args[name]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer, got ${String(args[name])}`);
  return v;
};
const steps = int('steps');
if (steps < 3) throw new Error('--steps must be at least 3 (the first step is left out of the timing)');
const batch = int('batch');
const network = { cbase: int('cbase'), cmax: int('cmax'), map: int('map'), zdim: int('zdim'), wdim: int('wdim') };
const sizes = args.sizes.split(',').map(Number);
const load1 = () => Math.round(loadavg()[0]! * 100) / 100;
const uptime = () => spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();

interface Side {
  images: number;
  /** Seconds of one steady step (of the whole batch for ours). */
  step_s: number;
  image_steps_per_s: number;
  /** CPU seconds (user + system, every thread) per image-step: the work, less disturbed by load. */
  cpu_s_per_image_step: number;
  overhead_s: number;
  images_per_hour_1000: number;
  load1: number;
}

function side(images: number, stepS: number, cpuStepS: number, overheadS: number, load: number): Side {
  return {
    images,
    step_s: stepS,
    image_steps_per_s: images / stepS,
    cpu_s_per_image_step: cpuStepS / images,
    overhead_s: overheadS,
    images_per_hour_1000: (3600 * images) / (overheadS + EXTRAPOLATE_TO * stepS),
    load1: load,
  };
}

const { tf, info } = await loadTf();
const perceptual = await createPerceptual(tf, DEFAULT_PERCEPTUAL);
const dir = await mkdtemp(join(tmpdir(), 'bench-projector-'));

async function ours(res: number): Promise<Side & { params_g: number }> {
  const ckpt = join(dir, `g${res}`);
  const trainer = freshModel(tf, { res, ...network }, { backend: { name: info.name } });
  try {
    await trainer.save(new FolderCheckpointSink(ckpt));
  } finally {
    trainer.dispose();
  }
  const { G } = await loadGenerator(tf, new FolderCheckpointSink(ckpt));
  const rng = new Rng(1);
  const targets = Array.from({ length: batch }, (_, i) => ({
    id: `random-${i}`,
    label: null,
    pixels: Uint8Array.from({ length: res * res * 3 }, () => rng.int(0, 256)),
  }));
  const ends: Array<{ wall: number; cpu: number }> = [];
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const load = load1();
  try {
    const outcome = await projectImages(tf, {
      G,
      perceptual,
      options: projectorOptions({ steps, batch }),
      targets,
      states: new MemoryStateStore(),
      onProgress: (p) => {
        if (p.active > 0) ends.push({ wall: performance.now() / 1000, cpu: cpu() });
      },
    });
    if (outcome.stopped !== 'done' || ends.length !== steps) throw new Error(`ours at ${res}²: ${outcome.stopped} after ${ends.length} of ${steps} steps`);
    const stepS = (ends.at(-1)!.wall - ends[0]!.wall) / (steps - 1);
    const cpuStepS = (ends.at(-1)!.cpu - ends[0]!.cpu) / (steps - 1);
    return { ...side(batch, stepS, cpuStepS, outcome.seconds - steps * stepS, load), params_g: G.ps.count() };
  } finally {
    G.ps.dispose();
  }
}

function reference(res: number): (Side & { backend: string; params_g: number }) | { error: string } {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE; // torch's own best kernels (see the env notes)
  delete env.OPENBLAS_L2_SIZE;
  const flags = Object.entries({ repo: args.repo, res, steps, ...network }).flatMap(([k, v]) => [`--${k}`, String(v)]);
  const load = load1();
  const run = spawnSync(args.python, [join(import.meta.dirname, 'projector_ref.py'), ...flags], { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) return { error: `${args.python} projector_ref.py failed: ${(run.stderr ?? String(run.error)).slice(-600)}` };
  const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { backend: string; params_g: number; step_s: number; cpu_s_per_image_step: number; setup_s: number };
  return { ...side(1, r.step_s, r.cpu_s_per_image_step, r.setup_s, load), backend: r.backend, params_g: r.params_g };
}

try {
  for (const res of sizes) {
    log(`${res}²: ours (batch ${batch}, ${steps} steps) — ${uptime()}`);
    const o = await ours(res);
    log(`${res}²: ours ${o.image_steps_per_s.toFixed(2)} image-steps/s; reference (1 image, ${steps} steps) — ${uptime()}`);
    const r = args['skip-ref'] ? { error: 'skipped (--skip-ref)' } : reference(res);
    const line = {
      bench: 'projector',
      res,
      steps,
      extrapolated_to: EXTRAPOLATE_TO,
      network,
      distance: perceptual.id,
      backend: info.name,
      ours: o,
      reference: r,
      speedup_images_per_hour: 'error' in r ? null : o.images_per_hour_1000 / r.images_per_hour_1000,
      uptime_after: uptime(),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
} finally {
  perceptual.dispose?.();
  await rm(dir, { recursive: true, force: true });
}
