/**
 * For the CLI's tests: run `bin/dermagan.js` as a user would (a child process) and read its
 * `--json` line.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = new URL('../bin/dermagan.js', import.meta.url).pathname;

/** Run the CLI; resolves with exit code, stdout and stderr (never rejects). */
export async function dermagan(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [BIN, ...args], { env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The last stdout line, parsed (the `--json` result). */
export const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
