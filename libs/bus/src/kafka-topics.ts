/**
 * Kafka plumbing the adapter needs beyond produce/consume: creating topics once, and reading a
 * topic from its start to its current end (kafkajs has no manual partition assignment, so a reader
 * is a consumer in a throw-away group that is deleted afterwards).
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, ITopicConfig, Kafka } from 'kafkajs';
import { BusError } from './errors.ts';
import { sleep } from './retry.ts';

/** Attempts at creating topics before giving up (a new topic's leader election can lag under load). */
const CREATE_ATTEMPTS = 5;
/** Metadata polls after creating topics (200 ms, 400 ms, …: up to ~30 s in all). */
const SERVE_ATTEMPTS = 17;
/** Reads of a topic's offsets that kafkajs fails with a TypeError (see topicEnds): 100 ms, 200 ms, … ~4.5 s in all. */
const OFFSET_ATTEMPTS = 10;

/** Creates topics that do not exist yet, remembering what it has made sure of. */
export class TopicMaker {
  private readonly known = new Set<string>();
  constructor(private readonly admin: Admin) {}

  async ensure(topics: ITopicConfig[]): Promise<void> {
    const missing = topics.filter((t) => !this.known.has(t.topic));
    if (missing.length === 0) return;
    // A busy controller may not have elected the new topics' leaders by the time kafkajs stops
    // waiting (UNKNOWN_TOPIC_OR_PARTITION): creating again is harmless (existing topics are kept).
    for (let attempt = 1; ; attempt++) {
      try {
        await this.admin.createTopics({ topics: missing, waitForLeaders: true });
        break;
      } catch (err) {
        const retriable = (err as { retriable?: boolean }).retriable ?? true;
        if (retriable && attempt < CREATE_ATTEMPTS) {
          await sleep(500 * attempt);
          continue;
        }
        throw new BusError(`could not create topics ${missing.map((t) => t.topic).join(', ')}: ${(err as Error).message}`, { retriable, cause: err });
      }
    }
    await this.untilServed(missing.map((t) => t.topic));
    for (const t of missing) this.known.add(t.topic);
  }

  /**
   * Wait until the broker serves the topics' metadata. A KRaft broker learns of a new topic by
   * replaying the controller's log, so right after `createTopics` a consumer's subscribe or a
   * producer's first send can still be told UNKNOWN_TOPIC_OR_PARTITION ("This server does not host
   * this topic-partition"), which kafkajs does not retry there.
   */
  private async untilServed(topics: string[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { topics: served } = await this.admin.fetchTopicMetadata({ topics });
        if (served.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
        if (attempt >= SERVE_ATTEMPTS) throw new BusError(`topics ${topics.join(', ')} have no leader yet`);
      } catch (err) {
        if (attempt >= SERVE_ATTEMPTS) throw new BusError(`the broker does not serve topics ${topics.join(', ')} after creating them: ${(err as Error).message}`, { cause: err });
      }
      await sleep(200 * attempt);
    }
  }
}

export interface TailRecord {
  key: string | null;
  value: string | null;
  partition: number;
  offset: string;
}

/** Follows one topic from its first retained record, for as long as it runs. */
export class TopicTail {
  private readonly groupId = `dermagan.reader.${randomUUID()}`;
  private readonly positions = new Map<number, bigint>();
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    readonly topic: string,
    private readonly onRecord: (record: TailRecord) => void,
  ) {}

  private stopped = false;

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: this.groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart && !this.stopped) void this.restart(); // kafkajs gave up on it (e.g. after a broker restart)
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        this.onRecord({
          key: message.key?.toString('utf8') ?? null,
          value: message.value?.toString('utf8') ?? null,
          partition,
          offset: message.offset,
        });
        this.positions.set(partition, BigInt(message.offset) + 1n);
      },
    });
  }

  /** Resolve once every record written before the call has been read; BusError (retriable) after `timeoutMs`. */
  async caughtUp(timeoutMs = 30_000): Promise<void> {
    const ends = await topicEnds(this.admin, this.topic);
    const deadline = Date.now() + timeoutMs;
    const behind = () =>
      ends.some(({ partition, high, low }) => (this.positions.get(partition) ?? BigInt(low)) < BigInt(high));
    while (behind()) {
      if (Date.now() > deadline) throw new BusError(`reading ${this.topic} did not reach its end within ${timeoutMs} ms`);
      await sleep(10);
    }
  }

  private async restart(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      await sleep(Math.min(200 * 2 ** attempt, 5_000));
      if (this.stopped) return;
      try {
        await this.start(); // a fresh consumer re-reads the topic from its start
        return;
      } catch {
        await this.consumer?.disconnect().catch(() => {});
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer?.disconnect();
    await this.admin.deleteGroups([this.groupId]).catch(() => {}); // an empty reader group; it also expires by itself
  }
}

/**
 * A topic's low and high offsets per partition. kafkajs' fetchTopicOffsets throws "Cannot
 * destructure property 'partitions' of 'low.pop(...)'" (a TypeError, which its own retry gives up
 * on) when the broker's answer leaves the topic out, as it can while a new topic's metadata settles
 * (kafkajs issue #461; seen here when a service opened its processed log under load): asked again.
 */
export async function topicEnds(admin: Pick<Admin, 'fetchTopicOffsets'>, topic: string): Promise<Awaited<ReturnType<Admin['fetchTopicOffsets']>>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
      if (attempt >= OFFSET_ATTEMPTS) throw new BusError(`could not read the offsets of ${topic}: ${err.message} (${attempt} tries)`, { retriable: true, cause: err });
      await sleep(100 * attempt);
    }
  }
}

/** Every record of a topic, from its first retained one to its end now. */
export async function readTopic(kafka: Kafka, admin: Admin, topic: string, timeoutMs?: number): Promise<TailRecord[]> {
  const records: TailRecord[] = [];
  const tail = new TopicTail(kafka, admin, topic, (r) => records.push(r));
  try {
    await tail.start();
    await tail.caughtUp(timeoutMs);
  } finally {
    await tail.stop();
  }
  return records.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}
