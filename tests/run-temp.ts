/**
 * One temp folder per test run: every `mkdtemp(tmpdir())` of a test, of a child process it
 * starts (the CLI, a service) and of the integration servers lands in it (TMPDIR, inherited by the
 * test workers), and the run removes it at the end — a test that forgets its cleanup, or fails
 * before it, leaves nothing behind in the machine's /tmp. Listed first in each project's
 * globalSetup, so it is torn down last (after the servers have stopped).
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let folder: string | undefined;

export async function setup(): Promise<void> {
  folder = await mkdtemp(join(tmpdir(), 'dermagan-test-run-'));
  // /tmp's own mode (sticky, open to every user): the PostgreSQL server runs as its own user.
  await chmod(folder, 0o1777);
  process.env.TMPDIR = folder;
}

export async function teardown(): Promise<void> {
  if (folder === undefined) return;
  await rm(folder, { recursive: true, force: true, maxRetries: 3 });
  folder = undefined;
}
