/**
 * Run a script on a chosen backend in a child process and return the JSON it prints.
 *
 * `loadTf()` loads one backend per process, so comparing backends (wasm fallback vs native TF)
 * takes a second process. The script is a TypeScript module run with `node --import tsx`, with
 * DERMAGAN_TF_BACKEND set; it must print its result as JSON on the last line of stdout (anything
 * before is ignored; stderr is passed back for error messages). Used by tests: libs/tf's own
 * conv-net comparison, and the engine's "tiny G forward on wasm equals native" test.
 */
import { execFile } from 'node:child_process';
import type { BackendName } from './backend.ts';

export interface BackendRun<T> {
  /** The parsed last stdout line. */
  result: T;
  /** The child's stderr (the fallback warning, TF logs). */
  stderr: string;
}

export class BackendRunError extends Error {
  override readonly name = 'BackendRunError';
  readonly retriable = false;
}

/** Extra settings for the child process. */
export interface RunOptions {
  /** Node flags placed before `--import tsx` (e.g. `--require` a preload). */
  nodeArgs?: string[];
  /** Kill the child after this long, in ms (undefined = 5 minutes). */
  timeoutMs?: number;
}

/**
 * @param backend value for DERMAGAN_TF_BACKEND in the child; undefined = unset (loadTf's own choice)
 * @param script  absolute path of the .ts module to run
 * @param args    command-line arguments passed to the script
 */
export function runOnBackend<T = unknown>(backend: BackendName | undefined, script: string, args: string[] = [], options: RunOptions = {}): Promise<BackendRun<T>> {
  const env = { ...process.env };
  if (backend === undefined) delete env.DERMAGAN_TF_BACKEND;
  else env.DERMAGAN_TF_BACKEND = backend;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...(options.nodeArgs ?? []), '--import', 'tsx', script, ...args],
      { env, timeout: options.timeoutMs ?? 300_000, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new BackendRunError(`runOnBackend(${backend ?? 'default'}, ${script}) failed: ${err.message}\n${stderr.slice(-4000)}`));
          return;
        }
        const last = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve({ result: JSON.parse(last) as T, stderr });
        } catch {
          reject(new BackendRunError(`runOnBackend(${backend ?? 'default'}, ${script}): the last stdout line is not JSON: ${last.slice(0, 200)}`));
        }
      },
    );
  });
}
