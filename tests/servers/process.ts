/**
 * One server process of a test run: spawned with its output in a log file, waited for until a
 * probe answers, stopped with SIGTERM (SIGKILL after a grace period) and waited for until its PID
 * is gone, and killed if the test process exits without stopping it. A process that dies while
 * starting, or does not answer in time, throws with the tail of its log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ServerProcessOptions {
  /** Short name for errors, e.g. `kube-apiserver`. */
  name: string;
  command: string;
  args: string[];
  log: string;
  env?: NodeJS.ProcessEnv;
  /** Resolves true once the server answers. */
  ready: () => Promise<boolean>;
  /** Longest wait for `ready`, in ms (default 60 000). */
  readyTimeoutMs?: number;
}

export class ServerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private exitInfo: string | undefined;

  private constructor(private readonly options: ServerProcessOptions) {}

  /** Spawns it and waits until it is ready. */
  static async start(options: ServerProcessOptions): Promise<ServerProcess> {
    const server = new ServerProcess(options);
    await server.launch();
    return server;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  logTail(lines = 25): string {
    try {
      return readFileSync(this.options.log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  private async launch(): Promise<void> {
    const { name, command, args, log, env, ready, readyTimeoutMs = 60_000 } = this.options;
    const out = openSync(log, 'a');
    const child = spawn(command, args, { stdio: ['ignore', out, out], env: env ?? process.env });
    closeSync(out);
    this.child = child;
    this.exitInfo = undefined;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitInfo = signal ? `signal ${signal}` : `exit code ${code}`;
        resolve();
      }),
    );
    child.once('error', (err) => (this.exitInfo = `could not be run: ${err.message}`));
    live.add(this);
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (this.exitInfo !== undefined) throw new Error(`${name} died while starting (${this.exitInfo}); ${log} ends with:\n${this.logTail()}`);
      if (await ready().catch(() => false)) return;
      if (Date.now() > deadline) {
        await this.stop(0);
        throw new Error(`${name} did not answer within ${readyTimeoutMs} ms; ${log} ends with:\n${this.logTail()}`);
      }
      await sleep(200);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.child;
    live.delete(this);
    if (!child || this.exitInfo !== undefined) return;
    child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
    const timer = new AbortController();
    const inTime = await Promise.race([this.exited.then(() => true), sleep(graceMs, false, { signal: timer.signal }).catch(() => false)]);
    timer.abort();
    if (!inTime) {
      child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** @internal */
  killNow(): void {
    if (this.exitInfo === undefined) this.child?.kill('SIGKILL');
  }
}


// Never leave a server behind when the test process ends without stopping it.
const live = new Set<ServerProcess>();
process.once('exit', () => {
  for (const server of live) server.killNow();
});
