import type { DermaganEvent } from '@dermagan/contracts';
import type { BusMoments } from './moments.ts';

/**
 * One event bus, two adapters (in-memory for the embedded default and unit tests, Kafka via kafkajs).
 *
 * Semantics both adapters keep (one contract test suite checks both):
 * - topics: one per event type (the type string is the topic name); dead letters go to `<topic>.dlq`;
 * - subscribers in the same group share the events; different groups each get every event;
 * - at-least-once delivery, and the offset is committed only after the handler succeeds;
 * - a handler that throws a retriable error is retried with backoff (options.retry), then the event
 *   goes to the dead-letter topic with the error; a non-retriable error goes there at once;
 * - idempotent: an event id a group has already handled is not handed to it again (redelivery after
 *   a crash or broker restart does not apply an event twice);
 * - a new group starts at the oldest retained event of each topic;
 * - handlers receive events validated by `subscription.parse` and deep-frozen.
 */
export interface EventBus {
  readonly kind: 'memory' | 'kafka';
  /** Connect and create the topics this process publishes or subscribes to. */
  start(): Promise<void>;
  publish(event: DermaganEvent<unknown>): Promise<void>;
  subscribe<T>(subscription: Subscription<T>): Promise<void>;
  /** True when the bus answers (readiness). */
  ping(): Promise<boolean>;
  /** Stop consuming, let the in-flight handler finish (or hand its event back), commit, disconnect. */
  close(): Promise<void>;
  /** The dead letters of one event type, oldest first (operators and tests; reads `<type>.dlq` whole). */
  readDeadLetters(type: string): Promise<DeadLetter[]>;
  /** Published / handled / retried / dead-lettered / duplicate / handed-back moments (for metrics). */
  readonly moments: BusMoments;
}

export interface Subscription<T> {
  /** Consumer group, e.g. `ingest`. */
  group: string;
  /** Event types (topics) to consume. */
  types: string[];
  /** Validates and types the raw envelope (usually `definition.parse`). Throws ContractError → dead letter. */
  parse: (raw: unknown) => DermaganEvent<T>;
  handler: (event: DermaganEvent<T>, context: HandlerContext) => Promise<void>;
}

export interface HandlerContext {
  /** Attempt number, 1 on first delivery. */
  attempt: number;
  /** Aborted when the bus is closing: long handlers should stop at the next safe point and throw. */
  signal: AbortSignal;
  /** Publish follow-up events (same as bus.publish). */
  publish: (event: DermaganEvent<unknown>) => Promise<void>;
}

/** What a dead-letter record carries besides the original envelope. */
export interface DeadLetter {
  /** The envelope as received; `{ raw }` holds the text when it was not a JSON object. */
  event: Record<string, unknown>;
  /** Consumer group whose handler gave up. */
  group: string;
  /** The last failure. */
  error: { name: string; message: string; retriable: boolean };
  /** Handler attempts made (0 when the envelope failed validation before any attempt). */
  attempts: number;
  /** ISO time the event was dead-lettered. */
  at: string;
  /** Where the event was read from (Kafka partition and offset; absent in memory). */
  origin?: { topic: string; partition?: number; offset?: string };
}
