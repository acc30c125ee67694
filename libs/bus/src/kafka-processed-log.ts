/**
 * The Kafka adapter's idempotency record: one compacted topic per group,
 * `dermagan.processed.<group>`, keyed by event id. A member reads it whole on subscribe and keeps
 * following it, so what any member (or an earlier run of this one) finished with is skipped when
 * it is delivered again — after a consumer crash, a rebalance or a broker restart. The record is
 * written (acks = all) before the offset is committed.
 */
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { ProcessedLog, ProcessedOutcome } from './processed-log.ts';
import { TopicTail } from './kafka-topics.ts';

export interface KafkaProcessedLogOptions {
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  /** `dermagan.processed.<group>` (created by the caller). */
  topic: string;
}

export class KafkaProcessedLog implements ProcessedLog {
  private readonly ids = new Map<string, ProcessedOutcome>();
  private readonly tail: TopicTail;

  constructor(private readonly options: KafkaProcessedLogOptions) {
    this.tail = new TopicTail(options.kafka, options.admin, options.topic, ({ key, value }) => {
      if (key === null) return;
      if (value === null) this.ids.delete(key); // tombstone
      else this.ids.set(key, (JSON.parse(value) as { outcome: ProcessedOutcome }).outcome);
    });
  }

  /** Read the record to its end; call before the first delivery. */
  async open(): Promise<void> {
    await this.tail.start();
    await this.tail.caughtUp();
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  async record(id: string, outcome: ProcessedOutcome): Promise<void> {
    this.ids.set(id, outcome);
    const value = JSON.stringify({ outcome, at: new Date().toISOString() });
    // The client retries while brokers are unavailable (KafkaBusOptions.kafkaRetry); if it gives
    // up, the caller does not commit and the event comes again — `has` already says it is done.
    await this.options.producer.send({ topic: this.options.topic, acks: -1, messages: [{ key: id, value }] });
  }

  catchUp(): Promise<void> {
    return this.tail.caughtUp();
  }

  async close(): Promise<void> {
    await this.tail.stop();
  }

  /** Ids known so far (tests and tools). */
  get size(): number {
    return this.ids.size;
  }
}
