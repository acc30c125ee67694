/**
 * A real S3 server for the integration tests: MinIO, built once by scripts/provision-s3.sh (cached
 * in ${DERMAGAN_CACHE:-~/.cache/dermagan}/bin/minio), run on a free loopback port with a temp data
 * folder, the web console off and random root credentials.
 *
 * - `startS3()` is the global setup's server (a RunningServer with DERMAGAN_S3_* env).
 * - `startMinio()` gives a dedicated instance with `stop()` / `kill()` / `start()` for fault tests:
 *   it comes back on the same port with the same data folder.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RunningServer } from './running-server.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE = process.env.DERMAGAN_CACHE ?? join(homedir(), '.cache', 'dermagan');
/** Where scripts/provision-s3.sh puts the binary. */
export const MINIO_BIN = join(CACHE, 'bin', 'minio');

export interface MinioOptions {
  /** Folder for `data/` and `minio.log` (default: a new temp folder, removed by `dispose()`). */
  workDir?: string;
  /** How long to wait for the server to answer, in ms (default 60 000). */
  readyTimeoutMs?: number;
}

/**
 * Builds MinIO when the cache lacks it (scripts/provision-s3.sh, which also serves CI on a fresh
 * machine). Throws with the script's output when it fails.
 */
export async function provisionS3(): Promise<string> {
  if (existsSync(MINIO_BIN)) return MINIO_BIN;
  try {
    await promisify(execFile)('bash', [join(REPO, 'scripts', 'provision-s3.sh')], { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`S3 server: scripts/provision-s3.sh failed, so MinIO could not be built:\n${stdout}${stderr}`);
  }
  if (!existsSync(MINIO_BIN)) throw new Error(`S3 server: scripts/provision-s3.sh finished but ${MINIO_BIN} is missing`);
  return MINIO_BIN;
}

/** One MinIO process (and its data folder) that can be stopped and started again. */
export class MinioServer {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly accessKey = 'dermagan';
  readonly secretKey = randomBytes(12).toString('hex');
  /** DERMAGAN_S3_ENDPOINT / _ACCESS_KEY / _SECRET_KEY for clients. */
  readonly env: Record<string, string>;
  /** Milliseconds the last start() took until the server answered. */
  lastStartMs = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;

  constructor(
    readonly bin: string,
    /** Folder holding `data/` and `minio.log`. */
    readonly workDir: string,
    readonly port: number,
    private readonly consolePort: number,
    private readonly ownsWorkDir: boolean,
    private readonly readyTimeoutMs: number,
  ) {
    this.endpoint = `http://127.0.0.1:${port}`;
    this.env = { DERMAGAN_S3_ENDPOINT: this.endpoint, DERMAGAN_S3_ACCESS_KEY: this.accessKey, DERMAGAN_S3_SECRET_KEY: this.secretKey };
  }

  get logPath(): string {
    return join(this.workDir, 'minio.log');
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Starts the process and waits until /minio/health/ready answers 200. */
  async start(): Promise<void> {
    if (this.child) throw new Error(`MinIO at ${this.endpoint} is already running`);
    const started = Date.now();
    const log = openSync(this.logPath, 'a');
    const child = spawn(
      this.bin,
      ['server', join(this.workDir, 'data'), '--address', `127.0.0.1:${this.port}`, '--console-address', `127.0.0.1:${this.consolePort}`, '--shutdown-timeout', '1s'],
      {
        stdio: ['ignore', log, log],
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: this.workDir,
          MINIO_ROOT_USER: this.accessKey,
          MINIO_ROOT_PASSWORD: this.secretKey,
          MINIO_BROWSER: 'off', // no web console
          MINIO_UPDATE: 'off',
          MINIO_CI_CD: 'on', // allow a data folder on the root disk
        },
      },
    );
    closeSync(log);
    this.child = child;
    let exitInfo: string | undefined;
    this.exited = new Promise((resolveExit) => {
      child.once('exit', (code, signal) => {
        exitInfo = signal ? `signal ${signal}` : `exit code ${code}`;
        this.child = undefined;
        resolveExit();
      });
    });
    const spawnError = new Promise<Error>((resolveError) => child.once('error', resolveError));
    registerForCleanup(this);

    const deadline = started + this.readyTimeoutMs;
    while (Date.now() < deadline) {
      if (exitInfo !== undefined) throw this.failure(`exited while starting (${exitInfo})`);
      const failed = await Promise.race([spawnError, sleep(100).then(() => undefined)]);
      if (failed) throw this.failure(`could not be run: ${failed.message}`);
      if (await this.ready()) {
        this.lastStartMs = Date.now() - started;
        return;
      }
    }
    await this.kill();
    throw this.failure(`did not answer ${this.endpoint}/minio/health/ready within ${this.readyTimeoutMs} ms`);
  }

  /** True when the server says it is ready to serve requests. */
  async ready(): Promise<boolean> {
    try {
      const res = await fetch(`${this.endpoint}/minio/health/ready`, { signal: AbortSignal.timeout(2000) });
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** Graceful stop (SIGTERM, SIGKILL after 10 s). The data folder stays. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM', 10_000);
  }

  /** Abrupt stop, as a crash or a pulled plug. The data folder stays. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL', 10_000);
  }

  /** Stops the server and removes the data folder when this instance made it. */
  async dispose(): Promise<void> {
    await this.stop();
    unregisterForCleanup(this);
    if (this.ownsWorkDir) await rm(this.workDir, { recursive: true, force: true });
  }

  /** The last lines of the server's log. */
  logTail(lines = 30): string {
    try {
      return readFileSync(this.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** @internal Synchronous kill for process exit. */
  killNow(): void {
    this.child?.kill('SIGKILL');
  }

  private async signal(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    const grace = new AbortController();
    const inTime = await Promise.race([
      this.exited!.then(() => true),
      sleep(graceMs, false, { signal: grace.signal }).catch(() => false),
    ]);
    grace.abort(); // do not keep the process alive for the rest of the grace period
    if (!inTime) {
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  private failure(what: string): Error {
    return new Error(`S3 server (MinIO ${this.bin}) ${what}. Last lines of ${this.logPath}:\n${this.logTail()}`);
  }
}

/** Starts a dedicated MinIO on free loopback ports (retrying with new ports if one was taken). */
export async function startMinio(options: MinioOptions = {}): Promise<MinioServer> {
  const bin = await provisionS3();
  const ownsWorkDir = options.workDir === undefined;
  const workDir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'dermagan-minio-')));
  await mkdir(join(workDir, 'data'), { recursive: true });
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const server = new MinioServer(bin, workDir, await freePort(), await freePort(), ownsWorkDir, options.readyTimeoutMs ?? 60_000);
    try {
      await server.start();
      return server;
    } catch (err) {
      lastError = err;
      await server.kill();
      unregisterForCleanup(server);
      if (!/already in use|bind/i.test(server.logTail())) break; // a port taken since freePort(): try others
    }
  }
  if (ownsWorkDir) await rm(workDir, { recursive: true, force: true });
  throw lastError;
}

/** The integration run's S3 server (global setup). */
export async function startS3(): Promise<RunningServer> {
  const server = await startMinio();
  process.stderr.write(`[servers] s3: MinIO ready at ${server.endpoint} in ${server.lastStartMs} ms\n`);
  return { name: 's3', env: server.env, stop: () => server.dispose() };
}

/** Temporary S3 credentials (STS): access key, secret key and the session token that goes with them. */
export interface ScopedCredentials {
  accessKey: string;
  secretKey: string;
  sessionToken: string;
}

/**
 * Credentials that may do anything inside `buckets` and nothing outside them, as a federation
 * tenant (hospital) gets for its own bucket, plus GetObject on the `alsoRead` object patterns
 * (`bucket/prefix/*`: a federation's global models). Made with STS AssumeRole on the root user plus
 * an inline session policy (the MinIO admin API for real users needs encrypted payloads; STS is
 * plain signed HTTP and works on AWS too). They expire after `durationSeconds` (default 1 h).
 */
export async function bucketScopedCredentials(
  server: { endpoint: string; accessKey: string; secretKey: string },
  buckets: string[],
  options: { alsoRead?: string[]; durationSeconds?: number } = {},
): Promise<ScopedCredentials> {
  const { alsoRead = [], durationSeconds = 3600 } = options;
  const { AssumeRoleProvider } = await import('minio/dist/esm/AssumeRoleProvider.mjs');
  const policy = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['s3:*'],
        Resource: buckets.flatMap((bucket) => [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`]),
      },
      ...(alsoRead.length > 0 ? [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: alsoRead.map((pattern) => `arn:aws:s3:::${pattern}`) }] : []),
    ],
  };
  const provider = new AssumeRoleProvider({
    stsEndpoint: server.endpoint,
    accessKey: server.accessKey,
    secretKey: server.secretKey,
    policy: JSON.stringify(policy),
    durationSeconds,
  });
  const credentials = await provider.getCredentials();
  return { accessKey: credentials.getAccessKey(), secretKey: credentials.getSecretKey(), sessionToken: credentials.getSessionToken() ?? '' };
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

// Never leave a MinIO behind when the test process ends without calling stop().
const live = new Set<MinioServer>();
let hooked = false;
function registerForCleanup(server: MinioServer): void {
  live.add(server);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const s of live) s.killNow();
    });
  }
}
function unregisterForCleanup(server: MinioServer): void {
  live.delete(server);
}
