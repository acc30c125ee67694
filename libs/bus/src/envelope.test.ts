import { defineEvent } from '@dermagan/contracts';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { STRUCTURED_CONTENT_TYPE, deepFreeze, fromWire, toWire } from './envelope.ts';

const Ping = defineEvent('org.dermagan.test.pinged.v1', z.object({ n: z.number() }));

describe('toWire', () => {
  it('keys by runid, else tenant, else id', () => {
    expect(toWire(Ping.create({ n: 1 }, { runid: 'r', tenant: 't' })).key).toBe('r');
    expect(toWire(Ping.create({ n: 1 }, { tenant: 't' })).key).toBe('t');
    const plain = Ping.create({ n: 1 });
    expect(toWire(plain).key).toBe(plain.id);
  });

  it('writes the structured JSON envelope with content-type and ce_ headers', () => {
    const event = Ping.create({ n: 2 }, { runid: 'r', source: '/here' });
    const wire = toWire(event);
    expect(wire.topic).toBe('org.dermagan.test.pinged.v1');
    expect(JSON.parse(wire.value)).toMatchObject({ specversion: '1.0', id: event.id, type: wire.topic, source: '/here', runid: 'r', data: { n: 2 } });
    expect(wire.headers).toEqual({
      'content-type': STRUCTURED_CONTENT_TYPE,
      ce_specversion: '1.0',
      ce_id: event.id,
      ce_type: wire.topic,
      ce_source: '/here',
      ce_runid: 'r',
    });
  });

  it('refuses something that is not an event', () => {
    expect(() => toWire({} as never)).toThrow(/expected a dermagan event/);
  });
});

describe('fromWire', () => {
  it('round-trips an envelope', () => {
    const event = Ping.create({ n: 3 });
    expect(Ping.parse(fromWire(toWire(event).value)).data).toEqual({ n: 3 });
  });

  it.each([
    [null, /no value/],
    ['', /no value/],
    ['not json', /not JSON/],
    ['[1]', /lacks the CloudEvents "id" or "type"/],
    ['{"id":"x"}', /lacks the CloudEvents "id" or "type"/],
  ])('throws ContractError for %j', (value, message) => {
    expect(() => fromWire(value)).toThrow(message);
    expect(() => fromWire(value)).toThrow(expect.objectContaining({ name: 'ContractError', retriable: false }));
  });
});

describe('deepFreeze', () => {
  it('freezes nested objects and arrays, including inside an already frozen object', () => {
    const inner = { list: [1, { x: 2 }] };
    const outer = Object.freeze({ inner });
    deepFreeze(outer);
    expect(Object.isFrozen(inner)).toBe(true);
    expect(Object.isFrozen(inner.list)).toBe(true);
    expect(Object.isFrozen(inner.list[1])).toBe(true);
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(deepFreeze(a)).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
  });
});
