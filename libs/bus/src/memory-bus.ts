/**
 * The in-memory adapter: the embedded default (one process) and the unit tests. Same semantics as
 * the Kafka adapter — it runs the same delivery pipeline (delivery.ts) over a MemoryBroker, and
 * messages travel as the same structured JSON, so handlers see exactly what Kafka would give them.
 */
import type { DermaganEvent } from '@dermagan/contracts';
import type { DeadLetter, EventBus, Subscription } from './bus.ts';
import { deliver, type DeliveryOutcome, type ReceivedMessage } from './delivery.ts';
import { toWire } from './envelope.ts';
import { BusUsageError } from './errors.ts';
import { MemoryBroker, type MemoryMember } from './memory-broker.ts';
import { BusMoments } from './moments.ts';
import { retryOptions, type RetryOptions } from './retry.ts';
import { checkGroupName, checkTopicName, deadLetterTopic } from './topics.ts';

export interface MemoryBusOptions {
  /** The broker to connect to; several buses on one broker act like processes on one cluster. Default: a private one. */
  broker?: MemoryBroker;
  /** Handler retry policy; missing fields take DEFAULT_RETRY's. */
  retry?: Partial<RetryOptions>;
  /** Uniform [0, 1) source for the backoff jitter (tests fix it). */
  random?: () => number;
}

export class MemoryBus implements EventBus {
  readonly kind = 'memory' as const;
  readonly moments = new BusMoments();
  readonly broker: MemoryBroker;
  private readonly retry: RetryOptions;
  private readonly random: (() => number) | undefined;
  private readonly abort = new AbortController();
  private closing: Promise<void> | undefined;
  private readonly members: Array<{ group: string; member: MemoryMember }> = [];
  private readonly inFlight = new Set<Promise<DeliveryOutcome>>();
  /** Types each group already has a handler for in this bus. */
  private readonly routes = new Map<string, Set<string>>();
  private started = false;
  /** close() was called: no new deliveries or subscriptions. */
  private stopping = false;
  /** close() finished: nothing works any more (in-flight handlers could still publish until then). */
  private closed = false;

  constructor(options: MemoryBusOptions = {}) {
    this.broker = options.broker ?? new MemoryBroker();
    this.retry = retryOptions(options.retry);
    this.random = options.random;
  }

  async start(): Promise<void> {
    this.assertOpen('start');
    this.started = true;
  }

  async publish(event: DermaganEvent<unknown>): Promise<void> {
    this.assertOpen('publish');
    if (!this.started) throw new BusUsageError('publish: call start() first');
    const wire = toWire(event);
    this.broker.append(wire.topic, wire.value);
    this.moments.emit('published', { type: wire.topic, id: event.id });
  }

  async subscribe<T>(subscription: Subscription<T>): Promise<void> {
    this.assertOpen('subscribe');
    if (this.stopping) throw new BusUsageError('subscribe: the bus is closing');
    if (!this.started) throw new BusUsageError('subscribe: call start() first');
    const group = checkGroupName(subscription.group);
    if (subscription.types.length === 0) throw new BusUsageError(`subscribe: group "${group}" names no event types`);
    subscription.types.forEach((t) => checkTopicName(t));
    const routed = this.routes.get(group) ?? new Set<string>();
    const taken = subscription.types.filter((t) => routed.has(t));
    if (taken.length > 0) throw new BusUsageError(`subscribe: group "${group}" already has a handler for ${taken.join(', ')} in this process`);
    subscription.types.forEach((t) => routed.add(t));
    this.routes.set(group, routed);
    const sub = subscription as unknown as Subscription<unknown>;
    const member: MemoryMember = {
      types: [...subscription.types],
      deliver: (message) => this.track(message, group, sub),
    };
    this.members.push({ group, member });
    this.broker.join(group, member);
  }

  async ping(): Promise<boolean> {
    return this.started && !this.stopping;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopping = true;
      this.abort.abort(new BusUsageError('the bus is closing'));
      await Promise.allSettled([...this.inFlight]);
      this.closed = true;
      for (const { group, member } of this.members) this.broker.leave(group, member);
    })();
    return this.closing;
  }

  async readDeadLetters(type: string): Promise<DeadLetter[]> {
    return this.broker.read(deadLetterTopic(checkTopicName(type))).map((v) => JSON.parse(v) as DeadLetter);
  }

  private track(message: ReceivedMessage, group: string, subscription: Subscription<unknown>): Promise<DeliveryOutcome> {
    if (this.stopping) return Promise.resolve('handed-back');
    const run = deliver(message, {
      group,
      subscription,
      processed: this.broker.processed(group),
      retry: this.retry,
      signal: this.abort.signal,
      publish: (e) => this.publish(e),
      deadLetter: async (topic, letter) => this.broker.append(topic, JSON.stringify(letter)),
      moments: this.moments,
      ...(this.random ? { random: this.random } : {}),
    });
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run)).catch(() => {});
    return run;
  }

  private assertOpen(what: string): void {
    if (this.closed) throw new BusUsageError(`${what}: the bus is closed`);
  }
}
