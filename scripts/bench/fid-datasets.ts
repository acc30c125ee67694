/**
 * FID end to end through the CLI, for the benchmarks: two dataset folders of n distinct images at
 * size² made from the demo sample, and `dermagan metrics --metrics fid` on them under
 * /usr/bin/time (wall time and the process's peak RSS).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { DatasetWriter } from '@dermagan/dataset';

const ROOT = join(import.meta.dirname, '..', '..');

/** n demo images (sorted names, cycling), centre-cropped and resized to size². */
export async function demoImages(n: number, size: number, offset = 0): Promise<Uint8Array> {
  const files = readdirSync(join(ROOT, 'data/demo')).filter((f) => f.endsWith('.jpg')).sort();
  const out = new Uint8Array(n * size * size * 3);
  for (let i = 0; i < n; i++) {
    const file = join(ROOT, 'data/demo', files[(offset + i) % files.length]!);
    const img = await sharp(file).resize(size, size, { fit: 'cover' }).removeAlpha().raw().toBuffer();
    out.set(img, i * size * size * 3);
  }
  return out;
}

/** `dir/real` and `dir/fake`: n images each at size², every one distinct (the demo has 300). */
export async function writeFidDatasets(dir: string, n: number, size: number): Promise<void> {
  for (const [name, offset] of [['real', 0], ['fake', 150]] as const) {
    const w = await DatasetWriter.create({ dir: join(dir, name), size });
    for (let start = 0; start < n; start += 100) {
      const count = Math.min(100, n - start);
      const px = await demoImages(count, size, offset + start);
      for (let i = 0; i < count; i++) {
        // A per-image brightness shift makes each copy of a demo image distinct.
        const img = px.subarray(i * size * size * 3, (i + 1) * size * size * 3).map((v) => Math.min(255, v + ((start + i) % 23)));
        await w.append(img, { id: `${name}${start + i}`, patient: `${name}${start + i}`, label: 0, sha256: `${(start + i).toString(16).padStart(8, '0')}${name === 'real' ? 'a' : 'b'}`.padEnd(64, '0') });
      }
    }
    await w.finish({ name, labels: ['all'], source: { kind: 'generated' }, split: { kind: 'none' }, tenants: null });
  }
}

/**
 * `dermagan metrics --real dir/real --fake dir/fake --metrics fid --json [extra]` with `bin`
 * (default this checkout's); `score` is the Fréchet distance in the space the extractor names
 * (`fid` in Inception space, `fd_<space>` elsewhere).
 */
export function timeCliFid(dir: string, bin = join(ROOT, 'bin/dermagan.js'), extra: string[] = []): { wallSeconds: number; peakRssBytes: number | null; score: number | null; error?: string } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, bin, 'metrics', '--real', join(dir, 'real'), '--fake', join(dir, 'fake'), '--metrics', 'fid', '--json', ...extra], { encoding: 'utf8', cwd: join(bin, '..', '..'), maxBuffer: 1 << 26 });
  const wallSeconds = (performance.now() - t0) / 1000;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1];
  const out = r.status === 0 ? (JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>) : null;
  const score = out ? (Object.entries(out).find(([k, v]) => (k === 'fid' || k.startsWith('fd_')) && typeof v === 'number')?.[1] as number | undefined) : undefined;
  return { wallSeconds, peakRssBytes: rss ? Number(rss) * 1024 : null, score: score ?? null, ...(out ? {} : { error: r.stderr.slice(-500) }) };
}
