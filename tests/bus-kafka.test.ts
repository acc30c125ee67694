/**
 * The bus contract on a real Apache Kafka broker (started by tests/servers/global-setup.ts), plus
 * what only Kafka can show: the wire format, the processed-id record outliving a consumer, and a
 * broker restart in the middle of a stream (on a broker of its own) losing nothing and applying
 * nothing twice.
 */
import { randomUUID } from 'node:crypto';
import { defineEvent } from '@dermagan/contracts';
import { KafkaBus, type KafkaBusOptions } from '@dermagan/bus';
import { busContractSuite } from '@dermagan/bus/testing';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { startKafkaBroker, type KafkaBroker } from './servers/kafka.ts';

const brokers = (process.env.DERMAGAN_KAFKA_BROKERS ?? inject('serverEnv').DERMAGAN_KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (brokers.length === 0) throw new Error('DERMAGAN_KAFKA_BROKERS is not set: run through the integration project (its global setup starts Kafka)');

/** kafkajs' own errors (expected ones while a broker restarts) go to stderr only with DERMAGAN_TEST_BUS_LOG=1. */
const verbose = process.env.DERMAGAN_TEST_BUS_LOG === '1';

/** Test timings: quick heartbeats and fetches so group changes and close() take well under a second. */
const fast = (extra: Partial<KafkaBusOptions> = {}): KafkaBusOptions => ({
  brokers,
  clientId: 'bus-kafka-test',
  heartbeatIntervalMs: 300,
  sessionTimeoutMs: 10_000,
  maxWaitTimeMs: 200,
  logger: {
    warn: (m, d) => verbose && process.stderr.write(`[bus] ${m} ${JSON.stringify(d ?? {})}\n`),
    error: (m, d) => verbose && process.stderr.write(`[bus] ${m} ${JSON.stringify(d ?? {})}\n`),
  },
  ...extra,
});

/** A plain kafkajs producer: what a foreign or broken producer puts on a topic. */
const raw = new Kafka({ brokers, clientId: 'bus-kafka-test-raw', logLevel: logLevel.NOTHING }).producer();
let rawConnected: Promise<void> | undefined;
afterAll(async () => {
  if (rawConnected) await raw.disconnect();
});
async function injectRaw(topic: string, value: string): Promise<void> {
  rawConnected ??= raw.connect();
  await rawConnected;
  await raw.send({ topic, acks: -1, messages: [{ value }] });
}

busContractSuite('kafka', ({ retry }) => new KafkaBus(fast({ retry })), { waitMs: 30_000, quietMs: 1_000, injectRaw });

const Tick = (type: string) => defineEvent(type, z.object({ n: z.number().int() }));
const freshType = (verb: string) => `org.dermagan.kafka-${randomUUID().slice(0, 8)}.${verb}.v1`;

async function waitFor(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('KafkaBus on a real broker', () => {
  const open: KafkaBus[] = [];
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((b) => b.close()));
  });
  const bus = async (options: Partial<KafkaBusOptions> = {}) => {
    const b = new KafkaBus(fast(options));
    open.push(b);
    await b.start();
    return b;
  };

  it('writes structured-mode CloudEvents JSON keyed by run, with the binding’s content-type and ce_ headers', async () => {
    const type = freshType('wired');
    const def = Tick(type);
    const b = await bus();
    const event = def.create({ n: 3 }, { runid: 'run-42', tenant: 'h2' });
    await b.publish(event);

    const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `raw-${randomUUID()}`, maxWaitTimeInMs: 200 });
    const got: Array<{ key: string; value: unknown; headers: Record<string, string> }> = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [type], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
        got.push({ key: message.key!.toString(), value: JSON.parse(message.value!.toString()), headers });
      },
    });
    try {
      await waitFor('the raw record', () => got.length === 1, 30_000);
    } finally {
      await consumer.disconnect();
    }
    expect(got[0]!.key).toBe('run-42');
    expect(got[0]!.value).toMatchObject({ specversion: '1.0', id: event.id, type, source: '/dermagan', runid: 'run-42', tenant: 'h2', data: { n: 3 } });
    expect(got[0]!.headers).toMatchObject({
      'content-type': 'application/cloudevents+json; charset=UTF-8',
      ce_id: event.id,
      ce_type: type,
      ce_specversion: '1.0',
      ce_runid: 'run-42',
    });
  });

  it('skips events a group already handled when they are delivered again to a new consumer (offsets reset)', async () => {
    const type = freshType('replayed');
    const def = Tick(type);
    const group = `replay-${randomUUID().slice(0, 8)}`;
    const first = await bus();
    const firstSeen: number[] = [];
    await first.subscribe({ group, types: [type], parse: def.parse, handler: async (e) => void firstSeen.push(e.data.n) });
    for (let n = 0; n < 5; n++) await first.publish(def.create({ n }, { runid: 'r' }));
    await waitFor('the first five', () => firstSeen.length === 5);
    await first.close();

    // Rewind the group: every event is delivered again, as after a crash before the commit.
    const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId: group, topic: type, earliest: true });
    await admin.disconnect();

    const second = await bus();
    const secondSeen: number[] = [];
    const duplicates: string[] = [];
    second.moments.on('duplicate', (m) => duplicates.push(m.id));
    await second.subscribe({ group, types: [type], parse: def.parse, handler: async (e) => void secondSeen.push(e.data.n) });
    await second.publish(def.create({ n: 5 }, { runid: 'r' }));
    await waitFor('the new event', () => secondSeen.includes(5));
    expect(firstSeen).toEqual([0, 1, 2, 3, 4]);
    expect(secondSeen).toEqual([5]);
    expect(duplicates).toHaveLength(5);
  });

  it('reports readiness with ping() and fails clearly without brokers', async () => {
    const b = await bus();
    expect(await b.ping()).toBe(true);
    expect(() => new KafkaBus({ brokers: [] })).toThrow(/DERMAGAN_KAFKA_BROKERS/);
    const nowhere = new KafkaBus({ brokers: ['127.0.0.1:1'], kafkaRetry: { retries: 0 }, logger: { warn: () => {}, error: () => {} } });
    await expect(nowhere.start()).rejects.toMatchObject({ name: 'BusError', retriable: true, message: expect.stringContaining('cannot reach the brokers 127.0.0.1:1') });
  });
});

describe('KafkaBus across a broker restart', () => {
  let broker: KafkaBroker | undefined;
  afterAll(async () => {
    await broker?.stop();
  });

  it('loses nothing and applies nothing twice when the broker is killed and restarted mid-stream', async () => {
    broker = await startKafkaBroker();
    const options = (): KafkaBusOptions => ({
      ...fast(),
      brokers: [broker!.brokers],
      sessionTimeoutMs: 6_000, // the broker's minimum
      kafkaRetry: { retries: 15, initialRetryTimeMs: 200, maxRetryTimeMs: 2_000 },
    });
    const type = freshType('streamed');
    const def = Tick(type);
    const consumer = new KafkaBus(options());
    const producer = new KafkaBus(options());
    try {
      await Promise.all([consumer.start(), producer.start()]);
      const applied = new Map<number, number>();
      let onKilled!: () => void;
      const killed = new Promise<void>((r) => (onKilled = r));
      let duplicates = 0;
      let twelveInFlight = false;
      consumer.moments.on('duplicate', () => void duplicates++);
      await consumer.subscribe({
        group: 'restart',
        types: [type],
        parse: def.parse,
        handler: async (e) => {
          if (e.data.n === 12) {
            // this one is in flight when the broker dies, and finishes while it is down
            twelveInFlight = true;
            await killed;
          }
          await new Promise((r) => setTimeout(r, 30));
          applied.set(e.data.n, (applied.get(e.data.n) ?? 0) + 1);
        },
      });

      // Publish a stream; a third of the way in, kill the broker (SIGKILL: a crash, not a clean
      // shutdown) and start it again while publishing and consuming go on.
      const total = 60;
      let restart: Promise<void> | undefined;
      let readyWhileDown: boolean | undefined;
      let pingMs = 0;
      for (let n = 0; n < total; n++) {
        if (n === 20) {
          // Event 12's handler blocks until the crash; its partition may come first, so wait for it
          // (and at least the three events before it on its run key) rather than for a count.
          await waitFor('event 12 in flight before the crash', () => twelveInFlight && applied.size >= 3);
          // down for longer than a consumer session, so the group forgets its member
          restart = (async () => {
            await broker!.kill({ hard: true });
            onKilled();
            const t0 = Date.now();
            readyWhileDown = await consumer.ping(); // readiness says no, within its timeout
            pingMs = Date.now() - t0;
            await new Promise((r) => setTimeout(r, 7_000));
            await broker!.start();
          })();
        }
        await producer.publish(def.create({ n }, { runid: `run-${n % 4}` }));
      }
      await restart;
      process.stderr.write(`[bus-kafka] broker answered ${Math.round(broker.startMs)} ms after its start following the crash\n`);
      await waitFor(`all ${total} events handled`, () => applied.size === total, 90_000);
      await new Promise((r) => setTimeout(r, 2_000)); // redeliveries, if any, would arrive now

      const twice = [...applied].filter(([, count]) => count !== 1);
      expect(twice).toEqual([]);
      expect([...applied.keys()].sort((a, b) => a - b)).toEqual([...Array(total).keys()]);
      expect(await consumer.readDeadLetters(type)).toEqual([]);
      expect(readyWhileDown).toBe(false);
      expect(pingMs).toBeLessThan(5_000);
      expect(await consumer.ping()).toBe(true);
      process.stderr.write(`[bus-kafka] restart test: ${total} events, each applied once; ${duplicates} redeliveries skipped\n`);
    } finally {
      await Promise.allSettled([consumer.close(), producer.close()]);
    }
  });
});
