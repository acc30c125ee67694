/**
 * One consumer group's member in one KafkaBus: a single kafkajs consumer for all the group's
 * subscriptions in this process, routing each message by topic to its subscription. (kafkajs'
 * assigners hand every member partitions of the leader's topics, so all members of a group must
 * subscribe to the same topics: one consumer per group keeps that true when a service subscribes
 * several times under its own name.) It commits each message by hand once the delivery pipeline
 * is done with it, catches up the group's processed-id record after every rebalance, and replaces
 * its consumer when kafkajs gives up on it.
 */
import type { Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import type { Subscription } from './bus.ts';
import { deliver, type DeliveryContext, type DeliveryOutcome } from './delivery.ts';
import { BusError, BusUsageError } from './errors.ts';
import type { KafkaProcessedLog } from './kafka-processed-log.ts';
import { backoffDelay, sleep, type RetryOptions } from './retry.ts';

export interface GroupConsumerOptions {
  kafka: Kafka;
  group: string;
  processed: KafkaProcessedLog;
  /** Session timeout, heartbeat interval and fetch wait, in ms. */
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxWaitTimeMs: number;
  /** Backoff between attempts to replace a crashed consumer. */
  restartRetry: RetryOptions;
  /** True once the bus is closing: nothing more is handled or committed. */
  stopping: () => boolean;
  /** The delivery context of this bus, less the group, subscription and record. */
  delivery: Omit<DeliveryContext, 'group' | 'subscription' | 'processed'>;
  /** Keeps the bus's count of in-flight deliveries (close() waits for them). */
  track: (run: Promise<DeliveryOutcome>) => Promise<DeliveryOutcome>;
  warn: (message: string, details?: Record<string, unknown>) => void;
  random?: () => number;
}

export class GroupConsumer {
  private readonly routes = new Map<string, Subscription<unknown>>();
  private consumer: Consumer | undefined;
  /** Set by every group join: read what other members recorded before the next delivery. */
  private rejoined = false;

  constructor(private readonly options: GroupConsumerOptions) {}

  /** Add a subscription's types and (re)start the consumer on all of them. */
  async add(subscription: Subscription<unknown>): Promise<void> {
    const taken = subscription.types.filter((t) => this.routes.has(t));
    if (taken.length > 0) {
      throw new BusUsageError(`subscribe: group "${this.options.group}" already has a handler for ${taken.join(', ')} in this process`);
    }
    for (const type of subscription.types) this.routes.set(type, subscription);
    const previous = this.consumer;
    this.consumer = undefined;
    await previous?.disconnect(); // waits for its in-flight message; the new consumer takes over from the commits
    await this.run();
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect();
  }

  private async run(): Promise<void> {
    const { kafka, group } = this.options;
    const consumer = kafka.consumer({
      groupId: group,
      allowAutoTopicCreation: false,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs,
      maxWaitTimeInMs: this.options.maxWaitTimeMs,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => void (this.rejoined = true));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.options.stopping() || this.consumer !== consumer) return; // kafkajs restarts it itself
      // A non-retriable crash (e.g. the coordinator forgot this member after a broker restart):
      // nothing was committed past the last finished event, so a fresh consumer resumes safely.
      this.options.warn(`consumer of group ${group} stopped (${payload.error.message}); starting a new one`, { group });
      void this.restart();
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.routes.keys()], fromBeginning: true });
    await consumer.run({ autoCommit: false, partitionsConsumedConcurrently: 1, eachMessage: (payload) => this.each(payload, consumer) });
    if (this.options.stopping()) await consumer.disconnect();
  }

  private async restart(): Promise<void> {
    for (let attempt = 1; !this.options.stopping(); attempt++) {
      await sleep(backoffDelay(Math.min(attempt, 6), this.options.restartRetry, this.options.random));
      if (this.options.stopping()) return;
      try {
        await this.run();
        return;
      } catch (err) {
        await this.consumer?.disconnect().catch(() => {});
        this.options.warn(`could not restart the consumer of group ${this.options.group}: ${(err as Error).message}`, { attempt });
      }
    }
  }

  private async each({ topic, partition, message, heartbeat }: EachMessagePayload, consumer: Consumer): Promise<void> {
    if (this.options.stopping()) return; // handed back: nothing is committed from here on, the next member reads it again
    const subscription = this.routes.get(topic);
    if (!subscription) throw new BusError(`group ${this.options.group} received ${topic}, which it does not subscribe to`);
    if (this.rejoined) {
      this.rejoined = false;
      await this.options.processed.catchUp();
    }
    const beat = setInterval(() => void heartbeat().catch(() => {}), this.options.heartbeatIntervalMs);
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.options.track(
        deliver(
          { topic, value: message.value?.toString('utf8') ?? null, partition, offset: message.offset },
          { ...this.options.delivery, group: this.options.group, subscription, processed: this.options.processed },
        ),
      );
    } finally {
      clearInterval(beat);
    }
    if (outcome === 'handed-back') {
      if (this.options.stopping()) return;
      throw new BusError(`event at ${topic}/${partition}@${message.offset} was handed back`); // kafkajs delivers it again
    }
    await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
  }
}
