/**
 * Output folders and files: dermagan never deletes or overwrites what it cannot prove it wrote.
 *
 * A command that writes a folder names the kind of folder it writes (an `OutputKind`). The folder
 * may be absent, empty, or one that kind recognises as its own by content, never by a file name
 * alone: a dataset is manifest.json with the dataset format plus its shards and nothing else; a run
 * folder (train, federate, study, classifier) carries the `dermagan-output.json` marker written
 * when the folder was first claimed, naming the command. Anything else is an OutputRefusedError
 * (exit 2 in the CLI) and the folder stays exactly as it was. A single output file (a .npy, a
 * CSV, statistics) is written only where no file exists yet: its content cannot prove who wrote it.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** An output that is not ours: retrying cannot help; the user chooses another path. */
export class OutputRefusedError extends Error {
  override readonly name = 'OutputRefusedError';
  readonly retriable = false;
}

/** What a command writes into a folder, so that a later run can tell the folder is ours. */
export interface OutputKind {
  /** What the folder is, for messages: 'dermagan dataset', 'dermagan training run'. */
  readonly title: string;
  /**
   * Why an existing, non-empty folder is not of this kind (a phrase such as "it holds index.html"),
   * or null when it is. `names` are the folder's entries.
   */
  foreign(dir: string, names: readonly string[]): Promise<string | null>;
  /** Written into a newly claimed folder so later runs recognise it (run folders only). */
  readonly marker?: { file: string; content: string };
}

/** The marker of run folders (train, federate, study, classifier train). */
export const OUTPUT_MARKER = 'dermagan-output.json';
export const OUTPUT_MARKER_FORMAT = 'dermagan.output/v1';

/** Largest marker or manifest read to recognise a folder (a 33k-image manifest is ~10 MB). */
const MAX_DESCRIPTOR_BYTES = 256 * 2 ** 20;

/** "a, b, c and 4 more" (sorted), for messages. */
export function listNames(names: readonly string[], show = 5): string {
  const sorted = [...names].sort();
  const head = sorted.slice(0, show).join(', ');
  return sorted.length > show ? `${head} and ${sorted.length - show} more` : head;
}

/** The JSON object in `path`, or null when it is missing, too large, not JSON or not an object. */
export async function readJsonObject(path: string): Promise<Record<string, unknown> | null> {
  try {
    const info = await lstat(path);
    if (!info.isFile() || info.size > MAX_DESCRIPTOR_BYTES) return null;
    const value: unknown = JSON.parse(await readFile(path, 'utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The folder a command writes its files into and later runs of the same command reuse (resume,
 * re-run): recognised by the marker naming `command`; other files the user adds are left alone.
 */
export function runFolder(command: string, title: string): OutputKind {
  const content = `${JSON.stringify({ format: OUTPUT_MARKER_FORMAT, command })}\n`;
  return {
    title,
    marker: { file: OUTPUT_MARKER, content },
    async foreign(dir, names) {
      if (!names.includes(OUTPUT_MARKER)) return `it holds ${listNames(names)} and no ${OUTPUT_MARKER}`;
      const marker = await readJsonObject(join(dir, OUTPUT_MARKER));
      if (marker?.format !== OUTPUT_MARKER_FORMAT) return `it holds ${OUTPUT_MARKER} without the format ${OUTPUT_MARKER_FORMAT}`;
      if (marker.command !== command) return `it holds the output of 'dermagan ${String(marker.command)}'`;
      return null;
    },
  };
}

async function entries(dir: string): Promise<string[] | null> {
  let info;
  try {
    info = await stat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (!info.isDirectory()) throw new OutputRefusedError(`${dir} exists and is not a folder; choose a new or empty folder`);
  return readdir(dir);
}

/** Throws OutputRefusedError unless `dir` is absent, empty, or a folder of `kind`. */
export async function checkOutputFolder(dir: string, kind: OutputKind): Promise<void> {
  const names = await entries(dir);
  if (names === null || names.length === 0) return;
  const why = await kind.foreign(dir, names);
  if (why !== null) {
    throw new OutputRefusedError(
      `${dir} is not a ${kind.title} (${why}); choose a new or empty folder. ` +
        `dermagan replaces or writes into only folders it can prove it wrote, and leaves this one as it is`,
    );
  }
}

/** Check `dir` (see checkOutputFolder), create it, and mark it as ours when `kind` has a marker. */
export async function claimOutputFolder(dir: string, kind: OutputKind): Promise<void> {
  await checkOutputFolder(dir, kind);
  await mkdir(dir, { recursive: true });
  if (kind.marker) {
    await writeFile(join(dir, kind.marker.file), kind.marker.content, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  }
}

/** A fresh hidden working folder beside `out` (`.<name>.partial-<random>`), for a whole-folder replace. */
export async function createStagingFolder(out: string): Promise<string> {
  await mkdir(dirname(out), { recursive: true });
  const staging = join(dirname(out), `.${basename(out)}.partial-${randomBytes(4).toString('hex')}`);
  await mkdir(staging);
  return staging;
}

/**
 * Put `staging` in place of `out`, which is checked again to be absent, empty or of `kind` (it
 * may have changed since the run began); the old folder is removed only after the swap.
 */
export async function replaceFolder(staging: string, out: string, kind: OutputKind): Promise<void> {
  await checkOutputFolder(out, kind);
  const old = join(dirname(out), `.${basename(out)}.old-${randomBytes(4).toString('hex')}`);
  let moved = false;
  try {
    await rename(out, old);
    moved = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await rename(staging, out);
  if (moved) await rm(old, { recursive: true, force: true });
}

/** Throws OutputRefusedError when anything (a file, a folder, a link) exists at `path`. */
export async function checkOutputFile(path: string): Promise<void> {
  try {
    await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  throw new OutputRefusedError(`${path} already exists; dermagan does not overwrite a file it cannot prove it wrote: remove it or choose another name`);
}
