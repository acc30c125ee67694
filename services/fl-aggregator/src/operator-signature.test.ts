/**
 * The aggregator starts only federations its operator signed: an unsigned or wrongly signed
 * `federation.requested` is ignored with the reason logged (no state, no round, no failure event
 * another producer could use to probe it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBus } from '@dermagan/bus';
import { FederationFailed, FederationRoundStarted } from '@dermagan/contracts';
import { federationRequest, FlAggregator, generateTenantKeyPair, signFederationRequest } from '@dermagan/federation';
import { LocalStore } from '@dermagan/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregatorSubscriptions } from './handlers.ts';

const OPERATOR = generateTenantKeyPair();
const MALLORY = generateTenantKeyPair();
const TENANT = generateTenantKeyPair();

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dermagan-fl-operator-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const request = (federation: string, extra: { maxNormToMedian?: number } = {}) =>
  federationRequest({
    ...extra,
    federation, tenants: [{ tenant: 'h', publicKey: TENANT.publicKeyPem }],
    rounds: 1, k: 1, strategy: { name: 'fedavg' }, quorum: 1, roundTimeoutMs: 60_000,
    training: { res: 16, cfg: 'test', aug: 'noaug', seed: 0 }, output: { bucket: 'agg', prefix: `federations/${federation}/out/` },
  }, OPERATOR.privateKeyPem);

describe('fl-aggregator: federation.requested must be the operator’s', () => {
  it('ignores unsigned and wrongly signed requests with the reason logged; starts the signed one', async () => {
    const store = new LocalStore({ root });
    const warnings: Array<{ o: Record<string, unknown>; m: string }> = [];
    const quiet = () => {};
    const aggregator = new FlAggregator({
      store, bucket: 'agg', operatorKey: OPERATOR.publicKeyPem,
      logger: { info: quiet, error: quiet, warn: (o, m) => void warnings.push({ o: o as Record<string, unknown>, m }) },
      // A stand-in initial model: only the signed request may get this far.
      initialModel: async () => ({ tensors: [{ name: 'G/w', shape: [1], data: Float32Array.from([0]) }], scalars: {} }),
    });
    const bus = new MemoryBus();
    await bus.start();
    const seen: string[] = [];
    const note = async (e: { runid?: string | undefined; type: string }) => void seen.push(`${e.runid}:${e.type}`);
    await bus.subscribe({ group: 'watch-rounds', types: [FederationRoundStarted.type], parse: (raw) => FederationRoundStarted.parse(raw), handler: note });
    await bus.subscribe({ group: 'watch-failures', types: [FederationFailed.type], parse: (raw) => FederationFailed.parse(raw), handler: note });
    for (const s of aggregatorSubscriptions(aggregator)) await bus.subscribe(s);

    const unsigned = request('fed-unsigned');
    await bus.publish({ ...unsigned, data: { ...unsigned.data, signature: undefined } });
    const forged = request('fed-forged');
    await bus.publish({ ...forged, data: { ...forged.data, signature: signFederationRequest(MALLORY.privateKeyPem, 'fed-forged', forged.data) } });
    await bus.publish(request('fed-signed'));
    await bus.publish(request('fed-median-off', { maxNormToMedian: 0 }));
    const started = ['fed-signed', 'fed-median-off'].map((f) => `${f}:${FederationRoundStarted.type}`);
    for (let i = 0; i < 100 && !started.every((x) => seen.includes(x)); i++) await new Promise((r) => setTimeout(r, 50));

    expect(seen).toEqual(started);
    // The request's norm bound relative to the round median reaches the round rules (default 3).
    expect((await aggregator.state('fed-signed'))!.rules.maxNormToMedian).toBe(3);
    expect((await aggregator.state('fed-median-off'))!.rules.maxNormToMedian).toBe(0);
    expect(await aggregator.state('fed-unsigned')).toBeNull();
    expect(await aggregator.state('fed-forged')).toBeNull();
    expect(warnings.map((w) => [w.m, w.o.federation, w.o.reason])).toEqual([
      ['federation.requested ignored', 'fed-unsigned', expect.stringMatching(/not signed by the operator/)],
      ['federation.requested ignored', 'fed-forged', expect.stringMatching(/does not verify with the operator key/)],
    ]);
    await aggregator.close();
    await bus.close();
  });
});
