/**
 * A real Apache Kafka broker (KRaft: one process is broker and controller) for the integration
 * tests, on the machine's Java with jars from Maven Central (scripts/provision-kafka.sh, cached;
 * run here when the cache is empty). Free loopback ports, a temporary data folder kept across
 * restart(), a small heap. Start-up waits until a kafkajs admin answers; a broker that does not
 * start throws with the reason and the tail of its log — never a skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { RunningServer } from './running-server.ts';

/** The Kafka version scripts/provision-kafka.sh fetches (3.9.x: the newest line with ZooKeeper-free KRaft on Java 17 that kafkajs 2.2.4 speaks to). */
export const KAFKA_VERSION = process.env.DERMAGAN_KAFKA_VERSION ?? '3.9.2';

export interface KafkaBrokerOptions {
  /** Java heap ceiling, e.g. `512m`. */
  heap?: string;
  /** Longest wait for the broker to answer, in ms; default 90 000. */
  startTimeoutMs?: number;
}

export interface KafkaBroker {
  /** `127.0.0.1:<port>` of the PLAINTEXT listener. */
  readonly brokers: string;
  /** The data folder (kept across restart()). */
  readonly dataDir: string;
  /** Milliseconds the last start took until an admin answered. */
  readonly startMs: number;
  /** Stop the process (SIGTERM, or SIGKILL with `hard`) and start it again on the same ports and data. */
  restart(options?: { hard?: boolean }): Promise<void>;
  /** Stop the process only (restart() or start() brings it back). */
  kill(options?: { hard?: boolean }): Promise<void>;
  /** Start again after kill(). */
  start(): Promise<void>;
  /** Stop it and remove its folder. */
  stop(): Promise<void>;
}

const repoRoot = resolve(import.meta.dirname, '../..');

/** The cached jar folder, provisioning it first when missing. */
export function kafkaLibs(): string {
  const cache = process.env.DERMAGAN_CACHE ?? join(homedir(), '.cache', 'dermagan');
  const home = join(cache, `kafka-${KAFKA_VERSION}`);
  if (existsSync(join(home, '.complete'))) return join(home, 'libs');
  const run = spawnSync('bash', [join(repoRoot, 'scripts/provision-kafka.sh')], {
    encoding: 'utf8',
    env: { ...process.env, DERMAGAN_KAFKA_VERSION: KAFKA_VERSION },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (run.status !== 0) {
    throw new Error(`Kafka: provisioning failed (bash scripts/provision-kafka.sh exited ${run.status}):\n${run.stderr.slice(-3000)}`);
  }
  return run.stdout.trim().split('\n').pop()!;
}

/** A free loopback port (the other test servers use it too). */
export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => res(port));
    });
  });
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Start a broker of its own (the restart test uses one so other tests are unaffected). */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const libs = kafkaLibs();
  const heap = options.heap ?? '512m';
  const startTimeoutMs = options.startTimeoutMs ?? 90_000;
  const dir = mkdtempSync(join(tmpdir(), 'dermagan-kafka-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'kafka.log');
  mkdirSync(dataDir);
  const [port, controllerPort] = [await freePort(), await freePort()];
  const brokers = `127.0.0.1:${port}`;

  // Configure: one node, broker + controller, single replicas, no automatic topics.
  const props = join(dir, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${dataDir}`,
      'num.partitions=1',
      'default.replication.factor=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=3',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      // after a crash the controller waits out the dead broker's session before it may register again
      'broker.heartbeat.interval.ms=500',
      'broker.session.timeout.ms=3000',
      'auto.create.topics.enable=false',
      'log.cleaner.dedupe.buffer.size=4194304',
      'num.io.threads=2',
      'num.network.threads=2',
      '',
    ].join('\n'),
  );
  const log4j = join(dir, 'log4j.properties');
  writeFileSync(
    log4j,
    [
      'log4j.rootLogger=INFO, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka=INFO',
      'log4j.logger.org.apache.kafka=INFO',
      'log4j.logger.state.change.logger=WARN',
      'log4j.logger.kafka.log.LogCleaner=WARN',
      '',
    ].join('\n'),
  );
  const java = (main: string, args: string[]) => [
    `-Xmx${heap}`,
    '-Xms128m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${log4j}`,
    '-cp',
    `${libs}/*`,
    main,
    ...args,
  ];

  // Format the storage with a fresh cluster id (a base64url UUID).
  const clusterId = randomBytes(16).toString('base64url');
  const format = spawnSync('java', java('kafka.tools.StorageTool', ['format', `--cluster-id=${clusterId}`, '--config', props]), { encoding: 'utf8' });
  if (format.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Kafka: formatting the storage failed (exit ${format.status}):\n${(format.stdout + format.stderr).slice(-3000)}`);
  }

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let startMs = 0;

  const launch = async (): Promise<void> => {
    const t0 = performance.now();
    const out = openSync(logFile, 'a');
    const proc = spawn('java', java('kafka.Kafka', [props]), { detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    child = proc;
    const killOnExit = () => {
      try {
        process.kill(-proc.pid!, 'SIGKILL'); // never leave a broker behind a crashed test run
      } catch {}
    };
    process.once('exit', killOnExit);
    proc.once('exit', () => process.off('exit', killOnExit));
    let exitInfo: string | undefined;
    exited = new Promise((res) => proc.once('exit', (code, signal) => ((exitInfo = `exit ${code ?? signal}`), res())));
    proc.once('error', (err) => (exitInfo = `spawn error ${err.message}`));

    const kafka = new Kafka({ clientId: 'dermagan-test-wait', brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1000 });
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      if (exitInfo) throw new Error(`Kafka ${KAFKA_VERSION} broker died while starting (${exitInfo}); log tail:\n${tail(logFile)}`);
      if (Date.now() > deadline) {
        await stopProcess(true);
        throw new Error(`Kafka ${KAFKA_VERSION} broker did not answer within ${startTimeoutMs} ms; log tail:\n${tail(logFile)}`);
      }
      const admin = kafka.admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        await admin.listTopics();
        if (cluster.brokers.length > 0) {
          await admin.disconnect();
          break;
        }
      } catch {
        // not up yet
      }
      await admin.disconnect().catch(() => {});
      await new Promise((r) => setTimeout(r, 200));
    }
    startMs = performance.now() - t0;
  };

  const stopProcess = async (hard: boolean): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const group = -proc.pid!;
    try {
      process.kill(group, hard ? 'SIGKILL' : 'SIGTERM');
    } catch {
      return;
    }
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000).unref());
    if ((await Promise.race([exited.then(() => 'exited' as const), timeout])) === 'timeout') {
      process.kill(group, 'SIGKILL');
      await exited;
    }
  };

  try {
    await launch();
  } catch (err) {
    await stopProcess(true);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    brokers,
    dataDir,
    get startMs() {
      return startMs;
    },
    async restart({ hard = false } = {}) {
      await stopProcess(hard);
      await launch();
    },
    async kill({ hard = false } = {}) {
      await stopProcess(hard);
    },
    async start() {
      await launch();
    },
    async stop() {
      await stopProcess(false);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The shared broker of an integration run: DERMAGAN_KAFKA_BROKERS points at it. */
export async function startKafka(): Promise<RunningServer> {
  const t0 = performance.now();
  const broker = await startKafkaBroker();
  process.stderr.write(`[servers] kafka ${KAFKA_VERSION} answered after ${Math.round(broker.startMs)} ms (${Math.round(performance.now() - t0)} ms with formatting)\n`);
  return { name: 'kafka', env: { DERMAGAN_KAFKA_BROKERS: broker.brokers }, stop: () => broker.stop() };
}
