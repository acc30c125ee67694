/**
 * What happens to one received message, the same for every adapter:
 *
 * 1. decode the structured envelope and validate it with `subscription.parse` — not an envelope,
 *    or the contract broken: dead letter, no attempt, recorded under the hash of its bytes;
 * 2. skip an event the group already finished with (a redelivery after a crash or restart), by
 *    its idempotency key, source + id (see `eventKey`);
 * 3. call the handler; a failure that says it is retriable is retried with backoff, any other or
 *    the last retry's failure sends the event to `<type>.dlq` with the error;
 * 4. record the key as processed; the adapter then commits.
 *
 * While the bus closes, an event whose handler stops (or that waits for a retry) is handed back
 * uncommitted, so another member of the group gets it.
 */
import { createHash } from 'node:crypto';
import type { DermaganEvent } from '@dermagan/contracts';
import type { DeadLetter, Subscription } from './bus.ts';
import { describeError, isRetriable } from './errors.ts';
import { deepFreeze, fromWire } from './envelope.ts';
import type { BusMoments } from './moments.ts';
import type { ProcessedLog } from './processed-log.ts';
import { backoffDelay, sleep, type RetryOptions } from './retry.ts';
import { deadLetterTopic } from './topics.ts';

/** A message as an adapter received it. */
export interface ReceivedMessage {
  topic: string;
  value: string | null;
  /** Kafka position (absent in memory). */
  partition?: number;
  offset?: string;
}

export interface DeliveryContext {
  group: string;
  subscription: Subscription<unknown>;
  processed: ProcessedLog;
  retry: RetryOptions;
  /** Aborted when the bus closes. */
  signal: AbortSignal;
  publish: (event: DermaganEvent<unknown>) => Promise<void>;
  /** Write one dead letter to `topic` (durably, before it resolves). */
  deadLetter: (topic: string, letter: DeadLetter, key: string | undefined) => Promise<void>;
  moments: BusMoments;
  /** Uniform [0, 1) source for the backoff jitter. */
  random?: () => number;
}

/** `handed-back`: not processed and must not be committed. Every other outcome is committed. */
export type DeliveryOutcome = 'handled' | 'duplicate' | 'dead-lettered' | 'handed-back';

/**
 * The idempotency key of a valid event: its source and id, which CloudEvents (§3.1.1) has
 * producers keep unique per distinct event (a consumer may take equal ones for duplicates).
 */
export function eventKey(event: { source: unknown; id: string }): string {
  return JSON.stringify([String(event.source), event.id]);
}

/**
 * The idempotency key of a message that is not a valid event: the hash of its bytes. Any id inside
 * such bytes is untrusted, so it must never be recorded as that id: a malformed message copying a
 * valid event's id would suppress the valid event. The same broken bytes delivered again are
 * recognised (one dead letter); the valid event keeps its own key.
 */
export function malformedKey(value: string | null): string {
  return `sha256:${createHash('sha256').update(value ?? '').digest('hex')}`;
}

export async function deliver(message: ReceivedMessage, ctx: DeliveryContext): Promise<DeliveryOutcome> {
  const { group, subscription, processed, moments } = ctx;
  const type = message.topic;

  // Decode the envelope, validate once, freeze; a message that is not a valid event is keyed by its bytes.
  let envelope: (Record<string, unknown> & { id: string; type: string }) | undefined;
  let event: DermaganEvent<unknown>;
  try {
    envelope = fromWire(message.value);
    event = deepFreeze(subscription.parse(envelope));
  } catch (err) {
    const key = malformedKey(message.value);
    if (processed.has(key)) return duplicate(ctx, type, envelope?.id ?? key);
    return deadLetter(ctx, message, envelope ?? { raw: message.value }, envelope?.id, key, type, err, 0);
  }
  const { id } = event;
  const key = eventKey(event);

  // Skip what the group already finished with.
  if (processed.has(key)) return duplicate(ctx, type, id);

  // Handle, retrying transient failures.
  for (let attempt = 1; ; attempt++) {
    if (ctx.signal.aborted) return handBack(ctx, type, id);
    const started = performance.now();
    try {
      await subscription.handler(event, { attempt, signal: ctx.signal, publish: ctx.publish });
    } catch (err) {
      if (ctx.signal.aborted) return handBack(ctx, type, id);
      if (!isRetriable(err) || attempt > ctx.retry.retries) {
        return deadLetter(ctx, message, envelope, id, key, type, err, attempt);
      }
      const delayMs = backoffDelay(attempt, ctx.retry, ctx.random);
      moments.emit('retried', { type, id, group, attempt, delayMs, error: describeError(err).message });
      try {
        await sleep(delayMs, ctx.signal);
      } catch {
        return handBack(ctx, type, id);
      }
      continue;
    }
    const durationMs = performance.now() - started;
    await processed.record(key, 'handled');
    moments.emit('handled', { type, id, group, attempts: attempt, durationMs });
    return 'handled';
  }
}

function duplicate(ctx: DeliveryContext, type: string, id: string): DeliveryOutcome {
  ctx.moments.emit('duplicate', { type, id, group: ctx.group });
  return 'duplicate';
}

function handBack(ctx: DeliveryContext, type: string, id: string): DeliveryOutcome {
  ctx.moments.emit('handedBack', { type, id, group: ctx.group });
  return 'handed-back';
}

async function deadLetter(
  ctx: DeliveryContext,
  message: ReceivedMessage,
  event: Record<string, unknown>,
  id: string | undefined,
  key: string,
  type: string,
  err: unknown,
  attempts: number,
): Promise<DeliveryOutcome> {
  const topic = deadLetterTopic(message.topic);
  const origin: DeadLetter['origin'] = { topic: message.topic };
  if (message.partition !== undefined) origin.partition = message.partition;
  if (message.offset !== undefined) origin.offset = message.offset;
  const letter: DeadLetter = {
    event,
    group: ctx.group,
    error: describeError(err),
    attempts,
    at: new Date().toISOString(),
    origin,
  };
  await ctx.deadLetter(topic, letter, id);
  await ctx.processed.record(key, 'dead-lettered');
  ctx.moments.emit('deadLettered', { type, id, group: ctx.group, topic, reason: letter.error.message, attempts });
  return 'dead-lettered';
}
