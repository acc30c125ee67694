import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ArtifactRef } from './artifact.ts';
import { ContractError, defineEvent, envelopeFromJSON, eventToJSON } from './event.ts';
import { DatasetIngested, IngestRequested } from './events.ts';

const Thing = defineEvent('org.dermagan.thing.happened.v1', z.object({ n: z.number().int() }));

describe('defineEvent', () => {
  it('builds a frozen CloudEvents 1.0 envelope with validated data', () => {
    const e = Thing.create({ n: 3 }, { runid: 'run-1', tenant: 'tenant-0' });
    expect(e.specversion).toBe('1.0');
    expect(e.type).toBe('org.dermagan.thing.happened.v1');
    expect(e.source).toBe('/dermagan');
    expect(e.data).toEqual({ n: 3 });
    expect(e.runid).toBe('run-1');
    expect(e.tenant).toBe('tenant-0');
    expect(Object.isFrozen(e)).toBe(true);
  });

  it('carries runid, tenant and causation from the causing event', () => {
    const cause = Thing.create({ n: 1 }, { runid: 'r', tenant: 't' });
    const effect = Thing.create({ n: 2 }, { causedBy: cause });
    expect(effect).toMatchObject({ runid: 'r', tenant: 't', causationid: cause.id });
  });

  it('round-trips through JSON and parse', () => {
    const e = Thing.create({ n: 5 }, { id: 'fixed-id' });
    const back = Thing.parse(envelopeFromJSON(eventToJSON(e)));
    expect(back.id).toBe('fixed-id');
    expect(back.data.n).toBe(5);
  });

  it('throws when …', () => {
    expect(() => defineEvent('dataset.ingested', z.object({}))).toThrow(/must look like org.dermagan/);
    expect(() => Thing.create({ n: 1.5 } as never)).toThrow(ContractError);
    expect(() => Thing.create({ n: 1.5 } as never)).toThrow(/org.dermagan.thing.happened.v1: invalid data/);
    const other = defineEvent('org.dermagan.other.thing.v1', z.object({}));
    expect(() => Thing.parse(other.create({}))).toThrow(/expected event type org.dermagan.thing.happened.v1/);
    expect(() => envelopeFromJSON('{nope')).toThrow(/not JSON/);
    expect(() => envelopeFromJSON('{"type":"x"}')).toThrow(/lacks the CloudEvents "id"/);
    expect(() => Thing.parse({ type: Thing.type, id: 'x', source: '/s', specversion: '1.0', data: { n: 'a' } })).toThrow(ContractError);
  });
});

describe('catalogue', () => {
  it('fills request defaults', () => {
    const e = IngestRequested.create({ source: { path: '/data/train.csv' }, output: { bucket: 'b', prefix: 'datasets/x' } } as never);
    expect(e.data).toMatchObject({ size: 256, split: 0.8, seed: 0, tenants: null, source: { kind: 'auto' } });
  });

  it('checks artifact references', () => {
    const ref = { bucket: 'b', key: 'datasets/x/manifest.json', sha256: 'a'.repeat(64), size: 10 };
    expect(ArtifactRef.parse(ref)).toEqual(ref);
    expect(() => ArtifactRef.parse({ ...ref, key: '../etc/passwd' })).toThrow(/must be relative/);
    expect(() => ArtifactRef.parse({ ...ref, sha256: 'ABC' })).toThrow(/64 lower-case hex/);
    expect(() => DatasetIngested.create({ dataset: { bucket: 'b', prefix: 'p/', manifest: ref }, accepted: -1, quarantined: 0, fingerprint: 'f' })).toThrow(ContractError);
  });
});
