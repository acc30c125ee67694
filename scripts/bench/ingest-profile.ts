/**
 * Where the time of one image goes in libs/ingest preprocessing, serially (one image at a time, one
 * libvips thread), for a 128² sample JPEG and a 1024² one at size 256: read + sha256, the header
 * (metadata), decode only, decode + crop/resize (the pipeline), and the whole preprocessFile.
 * Explains scripts/bench/ingest.ts: which stage bounds the throughput.
 *
 *   node --import tsx scripts/bench/ingest-profile.ts [--sample DIR]
 * Prints one JSON line of milliseconds per image.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { preprocessFile } from '@dermagan/ingest';

const { values } = parseArgs({ options: { sample: { type: 'string', default: '/work/shared/data/derm-sample' } } });
const here = new URL('.', import.meta.url).pathname;
const sampleDir = existsSync(values.sample!) ? values.sample! : join(here, '../../data/demo');
const largeDir = join(process.env.DERMAGAN_CACHE ?? join(homedir(), '.cache', 'dermagan'), 'bench', 'ingest-1024');

async function files(dir: string, n: number): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.jpg')).sort().slice(0, n).map((f) => join(dir, f));
}

async function msPerImage(list: string[], fn: (file: string, bytes: Buffer) => Promise<unknown>): Promise<number> {
  const bytes = await Promise.all(list.map((f) => readFile(f)));
  const start = performance.now();
  for (let i = 0; i < list.length; i++) await fn(list[i]!, bytes[i]!);
  return Math.round(((performance.now() - start) / list.length) * 1000) / 1000;
}

async function profile(list: string[]) {
  const resize = { fit: 'cover' as const, position: 'centre', kernel: 'lanczos3' as const, fastShrinkOnLoad: false };
  return {
    images: list.length,
    readAndHash: await msPerImage(list, async (f) => createHash('sha256').update(await readFile(f)).digest('hex')),
    header: await msPerImage(list, (_f, b) => sharp(b).metadata()),
    decode: await msPerImage(list, (_f, b) => sharp(b).raw().toBuffer()),
    decodeResize: await msPerImage(list, (_f, b) => sharp(b).resize(256, 256, resize).raw().toBuffer()),
    preprocessFile: await msPerImage(list, (f) => preprocessFile(f, { size: 256, minSide: 32 })),
  };
}

sharp.concurrency(1);
const sample = await files(sampleDir, 300);
await profile(sample.slice(0, 20)); // warm-up
const result: Record<string, unknown> = { bench: 'ingest-profile', unit: 'ms/image', sample128: await profile(sample) };
if (existsSync(largeDir)) result.large1024 = await profile(await files(largeDir, 100));
else result.large1024 = 'run scripts/bench/ingest.ts once to make the 1024² set';
console.log(JSON.stringify(result));
