/**
 * What happens to one received message, the same for every adapter:
 *
 * 1. decode the structured envelope — not an envelope: dead letter, no attempt;
 * 2. skip an id the group already finished with (a redelivery after a crash or restart);
 * 3. validate with `subscription.parse` — contract broken: dead letter, no attempt;
 * 4. call the handler; a retriable failure is retried with backoff, a non-retriable one or the
 *    last retry's failure sends the event to `<type>.dlq` with the error;
 * 5. record the id as processed; the adapter then commits.
 *
 * While the bus closes, an event whose handler stops (or that waits for a retry) is handed back
 * uncommitted, so another member of the group gets it.
 */
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

export async function deliver(message: ReceivedMessage, ctx: DeliveryContext): Promise<DeliveryOutcome> {
  const { group, subscription, processed, moments } = ctx;

  // Decode the envelope.
  let envelope: Record<string, unknown> & { id: string; type: string };
  try {
    envelope = fromWire(message.value);
  } catch (err) {
    const event = { raw: message.value };
    return deadLetter(ctx, message, event, undefined, message.topic, err, 0);
  }
  const { id } = envelope;
  const type = message.topic;

  // Skip what the group already finished with.
  if (processed.has(id)) {
    moments.emit('duplicate', { type, id, group });
    return 'duplicate';
  }

  // Validate once, freeze.
  let event: DermaganEvent<unknown>;
  try {
    event = deepFreeze(subscription.parse(envelope));
  } catch (err) {
    return deadLetter(ctx, message, envelope, id, type, err, 0);
  }

  // Handle, retrying transient failures.
  for (let attempt = 1; ; attempt++) {
    if (ctx.signal.aborted) return handBack(ctx, type, id);
    const started = performance.now();
    try {
      await subscription.handler(event, { attempt, signal: ctx.signal, publish: ctx.publish });
    } catch (err) {
      if (ctx.signal.aborted) return handBack(ctx, type, id);
      if (!isRetriable(err) || attempt > ctx.retry.retries) {
        return deadLetter(ctx, message, envelope, id, type, err, attempt);
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
    await processed.record(id, 'handled');
    moments.emit('handled', { type, id, group, attempts: attempt, durationMs });
    return 'handled';
  }
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
  if (id !== undefined) await ctx.processed.record(id, 'dead-lettered');
  ctx.moments.emit('deadLettered', { type, id, group: ctx.group, topic, reason: letter.error.message, attempts });
  return 'dead-lettered';
}
