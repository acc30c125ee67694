import { defineEvent } from '@dermagan/contracts';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { MemoryBroker } from './memory-broker.ts';
import { MemoryBus } from './memory-bus.ts';
import { busContractSuite } from './testing/contract-suite.ts';

// One cluster for the file: every contract test uses its own event types and groups.
const broker = new MemoryBroker();
busContractSuite('memory', ({ retry }) => new MemoryBus({ broker, retry }), { injectRaw: async (topic, value) => broker.append(topic, value) });

describe('MemoryBus (beyond the contract)', () => {
  it('deals a group’s events to its members in turn', async () => {
    const shared = new MemoryBroker();
    const def = defineEvent('org.dermagan.memory.dealt.v1', z.object({ n: z.number() }));
    const got: Record<string, number[]> = { a: [], b: [] };
    const buses = [new MemoryBus({ broker: shared }), new MemoryBus({ broker: shared })];
    for (const [i, bus] of buses.entries()) {
      await bus.start();
      const name = i === 0 ? 'a' : 'b';
      await bus.subscribe({ group: 'dealt', types: [def.type], parse: def.parse, handler: async (e) => void got[name]!.push(e.data.n) });
    }
    for (let n = 0; n < 4; n++) await buses[0]!.publish(def.create({ n }));
    await vi.waitFor(() => expect(got.a!.length + got.b!.length).toBe(4));
    expect(got).toEqual({ a: [0, 2], b: [1, 3] });
    await Promise.all(buses.map((b) => b.close()));
  });

  it('keeps its own cluster unless given one', async () => {
    const def = defineEvent('org.dermagan.memory.isolated.v1', z.object({ n: z.number() }));
    const [one, two] = [new MemoryBus(), new MemoryBus()];
    await Promise.all([one.start(), two.start()]);
    const seen: number[] = [];
    await two.subscribe({ group: 'g', types: [def.type], parse: def.parse, handler: async (e) => void seen.push(e.data.n) });
    await one.publish(def.create({ n: 1 }));
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([]);
    await Promise.all([one.close(), two.close()]);
  });
});
