/**
 * The Kafka adapter (kafkajs). Topics are created on start and on first use (event topics with
 * `partitions` partitions, `<type>.dlq` and `dermagan.processed.<group>` with one); each consumer
 * group of this process is one kafkajs consumer (kafka-group-consumer.ts), reading with
 * `eachMessage` and committing by hand after the delivery pipeline (delivery.ts) has finished with
 * a message — handled, skipped as a duplicate, or dead-lettered. Messages are structured-mode
 * CloudEvents JSON keyed by run.
 */
import { randomUUID } from 'node:crypto';
import type { DermaganEvent } from '@dermagan/contracts';
import { Kafka, Partitioners, logLevel, type Admin, type LogEntry, type Producer } from 'kafkajs';
import type { DeadLetter, EventBus, Subscription } from './bus.ts';
import type { DeliveryOutcome } from './delivery.ts';
import { toWire } from './envelope.ts';
import { BusError, BusUsageError, isRetriable } from './errors.ts';
import { GroupConsumer } from './kafka-group-consumer.ts';
import { kafkaLogSeverity } from './kafka-log.ts';
import { KafkaProcessedLog } from './kafka-processed-log.ts';
import { TopicMaker, readTopic } from './kafka-topics.ts';
import { BusMoments } from './moments.ts';
import { retryOptions, type RetryOptions } from './retry.ts';
import { checkGroupName, checkTopicName, deadLetterTopic, processedTopic } from './topics.ts';

/** Where the adapter reports what it cannot throw (consumer crashes, kafkajs warnings). */
export interface BusLogger {
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

export interface KafkaBusOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  /** Kafka client id (broker logs and quotas); default `dermagan`. */
  clientId?: string;
  /** Handler retry policy; missing fields take DEFAULT_RETRY's. */
  retry?: Partial<RetryOptions>;
  /**
   * The kafkajs client's retries of every Kafka request (connect, produce, dead-letter and
   * processed-record writes, commits) while brokers are unavailable; default 8 retries of up to
   * 10 s each (about a minute). When a write after a handler gives up, the event is not committed
   * and comes again.
   */
  kafkaRetry?: Partial<RetryOptions>;
  /** Partitions of an event topic the bus creates; default 3. */
  partitions?: number;
  /** Replication factor of topics the bus creates; default -1 (the broker's default). */
  replicationFactor?: number;
  /** Event types whose topics start() creates (others are created on first publish or subscribe). */
  topics?: string[];
  /** Consumer session timeout in ms (a silent member is dropped after it); default 30 000. */
  sessionTimeoutMs?: number;
  /** Consumer heartbeat interval in ms, also while a handler runs; default 3 000. */
  heartbeatIntervalMs?: number;
  /** Longest a fetch waits for new messages, in ms (bounds close() latency); default 1 000. */
  maxWaitTimeMs?: number;
  /** How long the processed-id record keeps an id, in ms; default 14 days. */
  processedRetentionMs?: number;
  /** Longest ping() waits for the cluster to answer before it says false, in ms; default 2 000. */
  pingTimeoutMs?: number;
  /** Where warnings go; default one JSON line on stderr. */
  logger?: BusLogger;
  /** Uniform [0, 1) source for the backoff jitter (tests fix it). */
  random?: () => number;
}

const stderrLogger: BusLogger = {
  warn: (message, details) => process.stderr.write(`${JSON.stringify({ level: 'warn', name: 'bus', message, ...details })}\n`),
  error: (message, details) => process.stderr.write(`${JSON.stringify({ level: 'error', name: 'bus', message, ...details })}\n`),
};

interface Connected {
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  topics: TopicMaker;
}

export class KafkaBus implements EventBus {
  readonly kind = 'kafka' as const;
  readonly moments = new BusMoments();
  private readonly options: KafkaBusOptions;
  private readonly retry: RetryOptions;
  private readonly kafkaRetry: RetryOptions;
  private readonly logger: BusLogger;
  private readonly abort = new AbortController();
  private readonly groups = new Map<string, GroupConsumer>();
  private subscribing: Promise<void> = Promise.resolve();
  private readonly processedLogs = new Map<string, Promise<KafkaProcessedLog>>();
  private readonly inFlight = new Set<Promise<DeliveryOutcome>>();
  private connected: Connected | undefined;
  private stopping = false;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(options: KafkaBusOptions) {
    if (!Array.isArray(options.brokers) || options.brokers.length === 0 || options.brokers.some((b) => !/^[^:\s]+:\d+$/.test(b))) {
      throw new BusUsageError(`KafkaBus: brokers must be a non-empty list of host:port, got ${JSON.stringify(options.brokers)} (set DERMAGAN_KAFKA_BROKERS)`);
    }
    this.options = options;
    this.retry = retryOptions(options.retry);
    this.kafkaRetry = retryOptions({ retries: 8, initialRetryTimeMs: 300, maxRetryTimeMs: 10_000, ...options.kafkaRetry });
    this.logger = options.logger ?? stderrLogger;
    options.topics?.forEach((t) => checkTopicName(t));
  }

  async start(): Promise<void> {
    this.assertOpen('start');
    if (this.connected) return;
    const { kafkaRetry: r } = this;
    const kafka = new Kafka({
      clientId: this.options.clientId ?? 'dermagan',
      brokers: this.options.brokers,
      retry: { retries: r.retries, initialRetryTime: r.initialRetryTimeMs, maxRetryTime: r.maxRetryTimeMs, multiplier: r.multiplier, factor: r.jitter },
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => {
        const { message, ...details } = entry.log;
        const log = kafkaLogSeverity(entry.level, details) === 'error' ? this.logger.error : this.logger.warn;
        log.call(this.logger, `kafkajs ${entry.namespace}: ${message}`, details);
      },
    });
    const admin = kafka.admin();
    const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    try {
      await admin.connect();
      await producer.connect();
    } catch (err) {
      await Promise.allSettled([admin.disconnect(), producer.disconnect()]);
      throw new BusError(`KafkaBus: cannot reach the brokers ${this.options.brokers.join(',')}: ${(err as Error).message}`, {
        retriable: true,
        cause: err,
      });
    }
    this.connected = { kafka, admin, producer, topics: new TopicMaker(admin) };
    const types = this.options.topics ?? [];
    await this.ensureEventTopics(types);
  }

  async publish(event: DermaganEvent<unknown>): Promise<void> {
    this.assertOpen('publish');
    const wire = toWire(event);
    const { producer } = this.require('publish');
    await this.ensureEventTopics([wire.topic]);
    try {
      await producer.send({ topic: wire.topic, acks: -1, messages: [{ key: wire.key, value: wire.value, headers: wire.headers }] });
    } catch (err) {
      throw new BusError(`publish ${wire.topic} (id ${event.id}): ${(err as Error).message}`, { retriable: isRetriable(err), cause: err });
    }
    this.moments.emit('published', { type: wire.topic, id: event.id });
  }

  async subscribe<T>(subscription: Subscription<T>): Promise<void> {
    this.assertOpen('subscribe');
    if (this.stopping) throw new BusUsageError('subscribe: the bus is closing');
    const { kafka } = this.require('subscribe');
    const group = checkGroupName(subscription.group);
    if (subscription.types.length === 0) throw new BusUsageError(`subscribe: group "${group}" names no event types`);
    subscription.types.forEach((t) => checkTopicName(t));
    // One at a time: a group's consumer is restarted when a subscription adds types to it.
    const previous = this.subscribing;
    let done!: () => void;
    this.subscribing = new Promise((r) => (done = r));
    await previous;
    try {
      await this.ensureEventTopics(subscription.types);
      let member = this.groups.get(group);
      if (!member) {
        member = new GroupConsumer({
          kafka,
          group,
          processed: await this.processedLog(group),
          sessionTimeoutMs: this.options.sessionTimeoutMs ?? 30_000,
          heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? 3_000,
          maxWaitTimeMs: this.options.maxWaitTimeMs ?? 1_000,
          restartRetry: this.kafkaRetry,
          stopping: () => this.stopping,
          delivery: {
            retry: this.retry,
            signal: this.abort.signal,
            publish: (e) => this.publish(e),
            deadLetter: (topic, letter, key) => this.writeDeadLetter(topic, letter, key),
            moments: this.moments,
            ...(this.options.random ? { random: this.options.random } : {}),
          },
          track: (run) => this.track(run),
          warn: (message, details) => this.logger.warn(message, details),
          ...(this.options.random ? { random: this.options.random } : {}),
        });
        this.groups.set(group, member);
      }
      await member.add(subscription as unknown as Subscription<unknown>);
    } finally {
      done();
    }
  }

  async ping(): Promise<boolean> {
    if (!this.connected || this.stopping) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), this.options.pingTimeoutMs ?? 2_000)));
    const answer = this.connected.admin.describeCluster().then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopping = true;
      this.abort.abort(new BusUsageError('the bus is closing'));
      await Promise.allSettled([...this.inFlight]);
      await Promise.allSettled([...this.groups.values()].map((g) => g.close()));
      const logs = await Promise.allSettled([...this.processedLogs.values()]);
      await Promise.allSettled(logs.flatMap((l) => (l.status === 'fulfilled' ? [l.value.close()] : [])));
      this.closed = true;
      if (this.connected) await Promise.allSettled([this.connected.producer.disconnect(), this.connected.admin.disconnect()]);
    })();
    return this.closing;
  }

  async readDeadLetters(type: string): Promise<DeadLetter[]> {
    const { kafka, admin } = this.require('readDeadLetters');
    const topic = deadLetterTopic(checkTopicName(type));
    await this.connected!.topics.ensure([{ topic, numPartitions: 1, replicationFactor: this.replication() }]);
    const records = await readTopic(kafka, admin, topic);
    return records.flatMap((r) => (r.value === null ? [] : [JSON.parse(r.value) as DeadLetter]));
  }

  private async writeDeadLetter(topic: string, letter: DeadLetter, key: string | undefined): Promise<void> {
    const { producer } = this.require('dead-letter');
    const message = {
      key: key ?? randomUUID(),
      value: JSON.stringify(letter),
      headers: { 'content-type': 'application/json', dermagan_group: letter.group, dermagan_error: letter.error.name },
    };
    await producer.send({ topic, acks: -1, messages: [message] }); // the client retries (kafkaRetry); then the event is handed back
  }

  private processedLog(group: string): Promise<KafkaProcessedLog> {
    let log = this.processedLogs.get(group);
    if (!log) {
      const { kafka, admin, producer, topics } = this.require('subscribe');
      const topic = processedTopic(group);
      log = (async () => {
        await topics.ensure([
          {
            topic,
            numPartitions: 1,
            replicationFactor: this.replication(),
            configEntries: [
              { name: 'cleanup.policy', value: 'compact,delete' },
              { name: 'retention.ms', value: String(this.options.processedRetentionMs ?? 14 * 24 * 3600 * 1000) },
            ],
          },
        ]);
        const l = new KafkaProcessedLog({ kafka, admin, producer, topic });
        await l.open();
        return l;
      })();
      this.processedLogs.set(group, log);
      // A failed open (e.g. a new topic's leader not elected yet) is not remembered: the next subscribe tries again.
      log.catch(() => this.processedLogs.delete(group));
    }
    return log;
  }

  private async ensureEventTopics(types: string[]): Promise<void> {
    const { topics } = this.require('topics');
    const rf = this.replication();
    await topics.ensure(
      types.flatMap((type) => [
        { topic: type, numPartitions: this.options.partitions ?? 3, replicationFactor: rf },
        { topic: deadLetterTopic(type), numPartitions: 1, replicationFactor: rf },
      ]),
    );
  }

  private replication(): number {
    return this.options.replicationFactor ?? -1;
  }

  private track(run: Promise<DeliveryOutcome>): Promise<DeliveryOutcome> {
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run)).catch(() => {});
    return run;
  }

  private require(what: string): Connected {
    if (!this.connected) throw new BusUsageError(`${what}: call start() first`);
    return this.connected;
  }

  private assertOpen(what: string): void {
    if (this.closed) throw new BusUsageError(`${what}: the bus is closed`);
  }
}
