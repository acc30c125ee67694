/**
 * Request / reply over events: the study publishes a request event and waits for the event it
 * caused (matched by `causationid`). Replies that arrive before anyone waits are kept, so the
 * order of publish and wait does not matter. A request that ends in the dead-letter topic fails
 * its wait with the dead letter's reason instead of hanging; one whose services go silent for the
 * timeout fails with that (silence.ts: a request queued behind busy work does not time out).
 */
import type { EventBus } from '@dermagan/bus';
import type { DermaganEvent, EventDefinition } from '@dermagan/contracts';
import type { z } from 'zod';
import { Silence } from './silence.ts';

export class StudyStepError extends Error {
  override readonly name = 'StudyStepError';
}

interface Waiter {
  resolve: (event: DermaganEvent<unknown>) => void;
  reject: (err: Error) => void;
}

export class Replies {
  private readonly arrived = new Map<string, DermaganEvent<unknown>>();
  private readonly waiting = new Map<string, Waiter>();
  private readonly failed = new Map<string, Error>();
  /** Set by close: a request made afterwards (a step that was starting as the study stopped) fails with it at once, unpublished. */
  private closedWith: Error | null = null;

  constructor(
    private readonly bus: EventBus,
    /** Consumer group, unique per study run so two studies never steal each other's replies. */
    private readonly group: string,
    /** When the services were last heard from (every event this listens to counts). */
    readonly silence: Silence = new Silence(),
  ) {}

  /** Subscribe to the reply types (and to progress types, handed to `onOther`). */
  async listen(
    replies: EventDefinition<z.ZodType>[],
    onOther?: { definition: EventDefinition<z.ZodType>; handle: (event: DermaganEvent<unknown>) => void }[],
  ): Promise<void> {
    const byType = new Map(replies.map((d) => [d.type, d] as const));
    await this.bus.subscribe<unknown>({
      group: this.group,
      types: [...byType.keys()],
      parse: (raw) => {
        const def = byType.get((raw as { type?: string }).type ?? '');
        if (!def) throw new StudyStepError(`unexpected reply type ${(raw as { type?: string }).type}`);
        return def.parse(raw) as DermaganEvent<unknown>;
      },
      handler: async (event) => {
        this.silence.heard();
        this.deliver(event);
      },
    });
    for (const other of onOther ?? []) {
      await this.bus.subscribe<unknown>({
        group: this.group,
        types: [other.definition.type],
        parse: (raw) => other.definition.parse(raw) as DermaganEvent<unknown>,
        handler: async (event) => {
          this.silence.heard();
          other.handle(event);
        },
      });
    }
  }

  /** Fail the wait for `requestId` (e.g. its request was dead-lettered). */
  fail(requestId: string, error: Error): void {
    const waiter = this.waiting.get(requestId);
    if (waiter) {
      this.waiting.delete(requestId);
      waiter.reject(error);
    } else {
      this.failed.set(requestId, error);
    }
  }

  /**
   * Publish a request and wait for its reply of the given definition. `publish: false` only waits:
   * the request is already on a durable bus (published by an earlier run of the study), and its
   * reply comes, or came, under its id. `onPublished` runs once the bus has the request.
   */
  async request<S extends z.ZodType>(
    request: DermaganEvent<unknown>,
    reply: EventDefinition<S>,
    timeoutMs: number,
    how: { publish?: boolean; onPublished?: () => Promise<void> } = {},
  ): Promise<DermaganEvent<z.output<S>>> {
    if (this.closedWith) throw this.closedWith;
    const waiting = this.wait(request.id, timeoutMs, `${request.type} → ${reply.type}`);
    // A wait that fails while the request is still being published (the study stopped) is not unhandled: it is awaited below.
    waiting.catch(() => {});
    if (how.publish ?? true) {
      await this.bus.publish(request);
      await how.onPublished?.();
    }
    const event = await waiting;
    if (!reply.is(event)) throw new StudyStepError(`${request.type} ${request.id}: expected a ${reply.type} reply, got ${event.type}`);
    return event as DermaganEvent<z.output<S>>;
  }

  /** Stop waiting: every pending wait rejects with `error` and its timer ends (the study stopped). */
  close(error: Error): void {
    this.closedWith = error;
    for (const [id, waiter] of this.waiting) {
      this.waiting.delete(id);
      waiter.reject(error);
    }
  }

  private wait(requestId: string, timeoutMs: number, what: string): Promise<DermaganEvent<unknown>> {
    const early = this.arrived.get(requestId);
    if (early) {
      this.arrived.delete(requestId);
      return Promise.resolve(early);
    }
    const failure = this.failed.get(requestId);
    if (failure) return Promise.reject(failure);
    return new Promise((resolve, reject) => {
      // The timer is not unref'd: a study waiting for a reply keeps the process alive.
      const stop = this.silence.watch(timeoutMs, () => {
        this.waiting.delete(requestId);
        reject(new StudyStepError(`${what}: no reply, and nothing heard from any service for ${Math.round(timeoutMs / 1000)} s — is the service for this step running and subscribed?`));
      });
      this.waiting.set(requestId, {
        resolve: (e) => {
          stop();
          resolve(e);
        },
        reject: (err) => {
          stop();
          reject(err);
        },
      });
    });
  }

  private deliver(event: DermaganEvent<unknown>): void {
    const cause = event.causationid;
    if (!cause) return;
    const waiter = this.waiting.get(cause);
    if (waiter) {
      this.waiting.delete(cause);
      waiter.resolve(event);
    } else {
      this.arrived.set(cause, event);
    }
  }
}
