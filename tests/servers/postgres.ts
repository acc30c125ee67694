/**
 * A real PostgreSQL server for the integration tests: Debian's package (scripts/provision-postgres.sh
 * installs it), a fresh cluster in a temp folder (initdb, trust auth on loopback only), on a free
 * port. As root the server runs as the `postgres` user (PostgreSQL refuses to run as root).
 * `createDatabase()` gives each suite its own empty database.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from './kafka.ts';
import type { RunningServer } from './running-server.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The server binaries' folder, provisioning them when missing. */
function provisionPostgres(): string {
  const run = spawnSync('bash', [join(REPO, 'scripts', 'provision-postgres.sh')], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`PostgreSQL: scripts/provision-postgres.sh exited ${run.status}:\n${run.stderr.slice(-2000)}`);
  return run.stdout.trim().split('\n').pop()!;
}

export async function startPostgres(): Promise<RunningServer> {
  const bin = provisionPostgres();
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'dermagan-postgres-'));
  const data = join(dir, 'data');
  const as = (cmd: string, args: string[]): [string, string[]] => (root ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const [initCmd, initArgs] = as(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`PostgreSQL: initdb failed (${init.status}):\n${init.stderr.slice(-2000)}`);
  const port = await freePort();
  const log = join(dir, 'postgres.log');
  writeFileSync(log, '');
  if (root) execFileSync('chown', ['postgres', log]);
  const [cmd, args] = as(join(bin, 'postgres'), [
    '-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`,
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200', '-c', `log_directory=${dir}`,
  ]);
  // Its own process group: as root, `runuser` runs postgres as its child, and a signal to the group
  // reaches postgres itself (a SIGKILL to runuser alone would leave postgres running).
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      // gone already
    }
  };
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let exited = false;
  child.once('exit', () => (exited = true));
  process.once('exit', () => signal('SIGKILL'));

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`PostgreSQL exited while starting:\n${stderr}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      break;
    } catch {
      await client.end().catch(() => {});
      if (Date.now() > deadline) {
        signal('SIGKILL');
        throw new Error(`PostgreSQL did not answer on ${url} within 60 s:\n${stderr}${readLog(log)}`);
      }
      await sleep(200);
    }
  }
  const version = spawnSync(join(bin, 'postgres'), ['--version'], { encoding: 'utf8' }).stdout.trim();
  process.stderr.write(`[servers] postgres: ${version} at 127.0.0.1:${port}\n`);
  return {
    name: 'postgres',
    env: { DERMAGAN_TEST_POSTGRES_URL: url },
    stop: async () => {
      if (!exited) {
        signal('SIGINT'); // fast shutdown
        for (let i = 0; i < 100 && !exited; i++) await sleep(100);
        if (!exited) signal('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A new empty database on the test server; returns its URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) throw new Error(`createDatabase: ${name} is not a plain database name`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists ${name} with (force)`);
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-2000);
  } catch {
    return '';
  }
}
