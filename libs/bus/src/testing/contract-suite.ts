/**
 * The bus contract: one suite, run against every adapter (memory-bus.test.ts, and
 * tests/bus-kafka.test.ts on a real broker). `makeBus` is called once per simulated process; the
 * buses it returns in one test must reach the same cluster (a shared MemoryBroker, the same
 * brokers). Every test uses its own event types and groups, so tests never see each other's events.
 */
import { randomUUID } from 'node:crypto';
import { ContractError, defineEvent, type DermaganEvent } from '@dermagan/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { EventBus, HandlerContext } from '../bus.ts';
import type { RetryOptions } from '../retry.ts';

/** What the suite asks of a new bus. */
export interface ContractBusOptions {
  /** Handler retry policy the assertions count on (fast, no jitter). */
  retry: Partial<RetryOptions>;
}

export type MakeBus = (options: ContractBusOptions) => EventBus | Promise<EventBus>;

export interface ContractSuiteOptions {
  /** Put a raw message value on a topic, as a foreign or broken producer would (bypassing publish). */
  injectRaw: (topic: string, value: string) => Promise<void>;
  /** Longest wait for one expected delivery, in ms (Kafka group joins take seconds). Default 10 000. */
  waitMs?: number;
  /** How long to keep watching for a delivery that must not happen, in ms. Default 300. */
  quietMs?: number;
}

/** The retry policy the suite runs with: 2 retries (3 attempts), 20 ms then 40 ms, no jitter. */
export const CONTRACT_RETRY: Partial<RetryOptions> = { retries: 2, initialRetryTimeMs: 20, maxRetryTimeMs: 1000, multiplier: 2, jitter: 0 };

/** The data every suite event carries; `note` has a default the subscriber's parse fills in. */
const Data = z.object({
  n: z.number().int(),
  note: z.string().default('none'),
  nested: z.object({ list: z.array(z.number()) }).optional(),
});

export function busContractSuite(name: string, makeBus: MakeBus, suiteOptions: ContractSuiteOptions): void {
  const waitMs = suiteOptions.waitMs ?? 10_000;
  const quietMs = suiteOptions.quietMs ?? 300;

  describe(`EventBus contract: ${name}`, () => {
    const open: EventBus[] = [];
    afterEach(async () => {
      await Promise.allSettled(open.splice(0).map((b) => b.close()));
    });

    /** A started bus that afterEach closes. */
    const bus = async (): Promise<EventBus> => {
      const b = await makeBus({ retry: CONTRACT_RETRY });
      open.push(b);
      await b.start();
      return b;
    };

    /** A fresh event type (and topic) for one test, with its strict definition. */
    const freshType = (verb: string) => {
      const type = `org.dermagan.contract-${randomUUID().slice(0, 8)}.${verb}.v1`;
      return { type, def: defineEvent(type, Data) };
    };
    const freshGroup = (label: string) => `contract-${label}-${randomUUID().slice(0, 8)}`;

    async function waitFor(what: string, check: () => boolean, ms = waitMs): Promise<void> {
      const deadline = Date.now() + ms;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    const quiet = () => new Promise((r) => setTimeout(r, quietMs));

    it('hands a subscriber each published event, validated by its parse and deep-frozen', async () => {
      const { type, def } = freshType('delivered');
      const loose = defineEvent(type, z.object({ n: z.number(), nested: z.object({ list: z.array(z.number()) }) }));
      const b = await bus();
      const got: Array<{ event: DermaganEvent<z.output<typeof Data>>; ctx: HandlerContext }> = [];
      const moments: string[] = [];
      b.moments.on('published', (m) => m.type === type && moments.push(`published ${m.id}`));
      b.moments.on('handled', (m) => m.type === type && moments.push(`handled ${m.id} by ${m.group} in ${m.attempts}`));
      const group = freshGroup('one');
      await b.subscribe({ group, types: [type], parse: def.parse, handler: async (event, ctx) => void got.push({ event, ctx }) });

      const sent = loose.create({ n: 7, nested: { list: [1, 2] } }, { runid: 'run-1', tenant: 'h1', source: '/contract' });
      await b.publish(sent);
      await waitFor('the event', () => got.length === 1);

      const { event, ctx } = got[0]!;
      expect({ id: event.id, type: event.type, source: event.source, runid: event.runid, tenant: event.tenant }).toEqual({
        id: sent.id, type, source: '/contract', runid: 'run-1', tenant: 'h1',
      });
      expect(event.data).toEqual({ n: 7, note: 'none', nested: { list: [1, 2] } }); // the default came from the subscriber's schema
      expect(Object.isFrozen(event)).toBe(true);
      expect(Object.isFrozen(event.data)).toBe(true);
      expect(Object.isFrozen(event.data.nested!.list)).toBe(true);
      expect(() => (event.data.nested!.list as number[]).push(3)).toThrow(TypeError);
      expect(ctx.attempt).toBe(1);
      expect(ctx.signal.aborted).toBe(false);
      await waitFor('the handled moment', () => moments.length === 2);
      expect(moments).toEqual([`published ${sent.id}`, `handled ${sent.id} by ${group} in 1`]);
    });

    it('shares one group’s events among its members: every event handled exactly once', async () => {
      const { type, def } = freshType('shared');
      const group = freshGroup('shared');
      const handledBy: Array<[string, number]> = [];
      for (const member of ['a', 'b']) {
        const b = await bus();
        await b.subscribe({ group, types: [type], parse: def.parse, handler: async (e) => void handledBy.push([member, e.data.n]) });
      }
      const publisher = open[0]!;
      for (let n = 0; n < 12; n++) await publisher.publish(def.create({ n }, { runid: `run-${n}` }));

      await waitFor('12 events', () => handledBy.length >= 12);
      await quiet();
      expect(handledBy.map(([, n]) => n).sort((x, y) => x - y)).toEqual([...Array(12).keys()]);
    });

    it('gives every group every event, in publication order for one run', async () => {
      const { type, def } = freshType('fanned');
      const b = await bus();
      const seen: Record<string, number[]> = { x: [], y: [] };
      for (const g of ['x', 'y'] as const) {
        await b.subscribe({ group: freshGroup(g), types: [type], parse: def.parse, handler: async (e) => void seen[g]!.push(e.data.n) });
      }
      for (let n = 0; n < 5; n++) await b.publish(def.create({ n }, { runid: 'one-run' }));
      await waitFor('both groups', () => seen.x!.length >= 5 && seen.y!.length >= 5);
      await quiet();
      expect(seen).toEqual({ x: [0, 1, 2, 3, 4], y: [0, 1, 2, 3, 4] });
    });

    it('routes each type of one group to its own subscription', async () => {
      const first = freshType('first');
      const second = freshType('second');
      const group = freshGroup('multi');
      const b = await bus();
      const seen: string[] = [];
      await b.subscribe({ group, types: [first.type], parse: first.def.parse, handler: async (e) => void seen.push(`first ${e.data.n}`) });
      await b.subscribe({ group, types: [second.type], parse: second.def.parse, handler: async (e) => void seen.push(`second ${e.data.n}`) });
      await b.publish(first.def.create({ n: 1 }));
      await b.publish(second.def.create({ n: 2 }));
      await waitFor('both events', () => seen.length >= 2);
      await quiet();
      expect(seen.sort()).toEqual(['first 1', 'second 2']);
    });

    it('retries a failing handler with backoff, then dead-letters the event with the error and moves on', async () => {
      const { type, def } = freshType('failing');
      const group = freshGroup('failing');
      const b = await bus();
      const attempts: number[] = [];
      const handled: number[] = [];
      const retried: number[] = [];
      b.moments.on('retried', (m) => m.type === type && retried.push(m.delayMs));
      await b.subscribe({
        group, types: [type], parse: def.parse,
        handler: async (e, ctx) => {
          if (e.data.n === 0) {
            attempts.push(ctx.attempt);
            throw Object.assign(new Error('disk on fire'), { retriable: true });
          }
          handled.push(e.data.n);
        },
      });
      const poison = def.create({ n: 0 }, { runid: 'r' });
      await b.publish(poison);
      await b.publish(def.create({ n: 1 }, { runid: 'r' }));
      await waitFor('the next event after the dead letter', () => handled.length === 1);

      expect(attempts).toEqual([1, 2, 3]);
      expect(retried).toEqual([20, 40]); // initialRetryTimeMs · 2^(retry-1), jitter 0
      const letters = await b.readDeadLetters(type);
      expect(letters).toHaveLength(1);
      const [letter] = letters;
      expect(letter).toMatchObject({ group, attempts: 3, error: { name: 'Error', message: 'disk on fire', retriable: true } });
      expect(letter!.event).toMatchObject({ id: poison.id, type, data: { n: 0 } });
      expect(Date.parse(letter!.at)).not.toBeNaN();
      expect(handled).toEqual([1]);
    });

    it('hands a retried event to the handler until it succeeds, without a dead letter', async () => {
      const { type, def } = freshType('flaky');
      const b = await bus();
      const attempts: number[] = [];
      await b.subscribe({
        group: freshGroup('flaky'), types: [type], parse: def.parse,
        handler: async (_e, ctx) => {
          attempts.push(ctx.attempt);
          if (ctx.attempt < 2) throw Object.assign(new Error('busy'), { retriable: true });
        },
      });
      const handled: number[] = [];
      b.moments.on('handled', (m) => m.type === type && handled.push(m.attempts));
      await b.publish(def.create({ n: 1 }));
      await waitFor('success', () => handled.length === 1);
      expect(attempts).toEqual([1, 2]);
      expect(handled).toEqual([2]);
      expect(await b.readDeadLetters(type)).toEqual([]);
    });

    it('dead-letters at once on a non-retriable failure', async () => {
      const { type, def } = freshType('refused');
      const b = await bus();
      const attempts: number[] = [];
      const dead: string[] = [];
      b.moments.on('deadLettered', (m) => m.type === type && dead.push(m.reason));
      await b.subscribe({
        group: freshGroup('refused'), types: [type], parse: def.parse,
        handler: async (_e, ctx) => {
          attempts.push(ctx.attempt);
          throw new ContractError('tenant sizes do not add up');
        },
      });
      await b.publish(def.create({ n: 1 }));
      await waitFor('the dead letter', () => dead.length === 1);
      expect(attempts).toEqual([1]);
      const [letter] = await b.readDeadLetters(type);
      expect(letter).toMatchObject({ attempts: 1, error: { name: 'ContractError', message: 'tenant sizes do not add up', retriable: false } });
    });

    it('dead-letters at once an error that does not say it is retriable (never retried blindly)', async () => {
      const { type, def } = freshType('unflagged');
      const b = await bus();
      const attempts: number[] = [];
      const dead: string[] = [];
      b.moments.on('deadLettered', (m) => m.type === type && dead.push(m.reason));
      await b.subscribe({
        group: freshGroup('unflagged'), types: [type], parse: def.parse,
        handler: async (_e, ctx) => {
          attempts.push(ctx.attempt);
          throw new RangeError('tenant count must be positive');
        },
      });
      await b.publish(def.create({ n: 1 }));
      await waitFor('the dead letter', () => dead.length === 1);
      await quiet();
      expect(attempts).toEqual([1]);
      const [letter] = await b.readDeadLetters(type);
      expect(letter).toMatchObject({ attempts: 1, error: { name: 'RangeError', message: 'tenant count must be positive', retriable: false } });
    });

    it('a malformed event that takes a valid event’s id neither suppresses it nor is dead-lettered twice', async () => {
      const { type, def } = freshType('impostor');
      const wrong = defineEvent(type, z.object({ n: z.string() }));
      const b = await bus();
      const handled: number[] = [];
      const dead: string[] = [];
      b.moments.on('deadLettered', (m) => m.type === type && dead.push(m.reason));
      await b.subscribe({ group: freshGroup('impostor'), types: [type], parse: def.parse, handler: async (e) => void handled.push(e.data.n) });
      const valid = def.create({ n: 7 }, { runid: 'r' });
      const impostor = wrong.create({ n: 'seven' }, { runid: 'r', id: valid.id });
      await b.publish(impostor);
      await b.publish(impostor); // redelivered: recognised by its bytes
      await b.publish(valid);
      await b.publish(valid); // a true duplicate: handled once
      await b.publish(def.create({ n: 8 }, { runid: 'r' }));
      await waitFor('the events after the impostor', () => handled.includes(8));
      await quiet();
      expect(handled).toEqual([7, 8]);
      expect(dead).toHaveLength(1);
      expect(await b.readDeadLetters(type)).toHaveLength(1);
    });

    it('dead-letters a message of an unknown type, or no event at all, on a group’s topic without calling the handler', async () => {
      const { type, def } = freshType('foreign');
      const b = await bus();
      const handled: number[] = [];
      const dead: string[] = [];
      b.moments.on('deadLettered', (m) => m.type === type && dead.push(m.reason));
      await b.subscribe({ group: freshGroup('foreign'), types: [type], parse: def.parse, handler: async (e) => void handled.push(e.data.n) });
      const unknown = { specversion: '1.0', id: randomUUID(), source: '/elsewhere', type: 'org.example.unknown.v1', datacontenttype: 'application/json', data: { n: 1 } };
      await suiteOptions.injectRaw(type, JSON.stringify(unknown));
      await suiteOptions.injectRaw(type, 'not json at all');
      await b.publish(def.create({ n: 2 }));
      await waitFor('the valid event after the foreign ones', () => handled.includes(2));
      await waitFor('two dead letters', () => dead.length === 2);
      expect(handled).toEqual([2]);
      expect(dead[0]).toMatch(new RegExp(`expected event type ${type.replace(/\./g, '\\.')}, got org\\.example\\.unknown\\.v1`));
      const letters = await b.readDeadLetters(type);
      expect(letters.map((l) => [l.attempts, l.error.retriable])).toEqual([[0, false], [0, false]]);
      expect(letters[1]!.event).toEqual({ raw: 'not json at all' });
    });

    it('dead-letters an envelope that breaks the contract without calling the handler', async () => {
      const { type, def } = freshType('malformed');
      const wrong = defineEvent(type, z.object({ n: z.string() }));
      const b = await bus();
      let calls = 0;
      const dead: string[] = [];
      b.moments.on('deadLettered', (m) => m.type === type && dead.push(m.reason));
      await b.subscribe({ group: freshGroup('malformed'), types: [type], parse: def.parse, handler: async () => void calls++ });
      const bad = wrong.create({ n: 'seven' });
      await b.publish(bad);
      await waitFor('the dead letter', () => dead.length === 1);
      await quiet();
      expect(calls).toBe(0);
      const [letter] = await b.readDeadLetters(type);
      expect(letter).toMatchObject({ attempts: 0, event: { id: bad.id, data: { n: 'seven' } }, error: { name: 'ContractError', retriable: false } });
      expect(letter!.error.message).toContain(type);
    });

    it('handles a redelivered event id once', async () => {
      const { type, def } = freshType('repeated');
      const b = await bus();
      const handled: number[] = [];
      const duplicates: string[] = [];
      b.moments.on('duplicate', (m) => m.type === type && duplicates.push(m.id));
      await b.subscribe({ group: freshGroup('repeated'), types: [type], parse: def.parse, handler: async (e) => void handled.push(e.data.n) });
      const once = def.create({ n: 1 }, { runid: 'r' });
      await b.publish(once);
      await b.publish(once);
      await b.publish(def.create({ n: 1 }, { runid: 'r', id: once.id })); // same id, rebuilt
      await b.publish(def.create({ n: 2 }, { runid: 'r' }));
      await waitFor('the event after the duplicates', () => handled.includes(2));
      await quiet();
      expect(handled).toEqual([1, 2]);
      expect(duplicates).toEqual([once.id, once.id]);
    });

    it('close() waits for the in-flight handler, and its event is committed', async () => {
      const { type, def } = freshType('inflight');
      const group = freshGroup('inflight');
      const first = await bus();
      let started = false;
      let finished = false;
      await first.subscribe({
        group, types: [type], parse: def.parse,
        handler: async (e, ctx) => {
          started = true;
          await new Promise((r) => setTimeout(r, 400)); // ignores the signal: finishes its work
          expect(ctx.signal.aborted).toBe(true);
          await ctx.publish(def.create({ n: e.data.n + 100 }, { causedBy: e })); // follow-ups still go out while closing
          finished = true;
        },
      });
      await first.publish(def.create({ n: 1 }, { runid: 'r' }));
      await waitFor('the handler to start', () => started);
      await first.close();
      expect(finished).toBe(true);

      const second = await bus();
      const later: number[] = [];
      await second.subscribe({ group, types: [type], parse: def.parse, handler: async (e) => void later.push(e.data.n) });
      await second.publish(def.create({ n: 2 }, { runid: 'r' }));
      await waitFor('the events after the close', () => later.includes(2));
      await quiet();
      expect(later).toEqual([101, 2]); // 1 was committed before close returned: not handled again
    });

    it('close() hands back an event whose handler stops on the signal; the group gets it again', async () => {
      const { type, def } = freshType('handback');
      const group = freshGroup('handback');
      const first = await bus();
      let started = false;
      const handedBack: string[] = [];
      first.moments.on('handedBack', (m) => handedBack.push(m.id));
      await first.subscribe({
        group, types: [type], parse: def.parse,
        handler: async (_e, ctx) => {
          started = true;
          await new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('stopped at a safe point'))));
        },
      });
      const event = def.create({ n: 5 });
      await first.publish(event);
      await waitFor('the handler to start', () => started);
      await first.close();
      expect(handedBack).toEqual([event.id]);

      const second = await bus();
      const again: Array<[number, number]> = [];
      await second.subscribe({ group, types: [type], parse: def.parse, handler: async (e, ctx) => void again.push([e.data.n, ctx.attempt]) });
      await waitFor('the handed-back event', () => again.length === 1);
      expect(again).toEqual([[5, 1]]);
      expect(await second.readDeadLetters(type)).toEqual([]);
    });

    it('rejects misuse with non-retriable errors', async () => {
      const { type, def } = freshType('misuse');
      const unstarted = await makeBus({ retry: CONTRACT_RETRY });
      open.push(unstarted);
      expect(await unstarted.ping()).toBe(false);
      await expect(unstarted.publish(def.create({ n: 0 }))).rejects.toMatchObject({ name: 'BusUsageError', message: 'publish: call start() first' });
      await expect(unstarted.subscribe({ group: freshGroup('early'), types: [type], parse: def.parse, handler: async () => {} })).rejects.toMatchObject({
        name: 'BusUsageError', message: 'subscribe: call start() first',
      });
      const b = await bus();
      await expect(b.subscribe({ group: 'bad group!', types: [type], parse: def.parse, handler: async () => {} })).rejects.toMatchObject({
        name: 'BusUsageError', retriable: false,
      });
      const group = freshGroup('misuse');
      await b.subscribe({ group, types: [type], parse: def.parse, handler: async () => {} });
      await expect(b.subscribe({ group, types: [type], parse: def.parse, handler: async () => {} })).rejects.toMatchObject({
        name: 'BusUsageError', message: expect.stringContaining(`already has a handler for ${type}`),
      });
      await expect(b.publish({ nope: true } as never)).rejects.toMatchObject({ name: 'BusUsageError', retriable: false });
      expect(await b.ping()).toBe(true);
      await b.close();
      expect(await b.ping()).toBe(false);
      await expect(b.publish(def.create({ n: 1 }))).rejects.toMatchObject({ name: 'BusUsageError', retriable: false });
    });
  });
}
