/**
 * What a tenant agent trusts: only a `federation.requested` its operator signed (anything else is
 * ignored with the reason logged, nothing kept, nothing joined), never the dataset a request names,
 * and only the global model bytes the round's reference names.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FederationFailed, FederationRequested, FederationRoundCompleted, FederationRoundStarted, type DermaganEvent } from '@dermagan/contracts';
import { encodeWeightSet, federationRequest, generateTenantKeyPair, signFederationRequest } from '@dermagan/federation';
import { FolderCache } from '@dermagan/runtime';
import { IntegrityError, LocalStore } from '@dermagan/store';
import { loadTf } from '@dermagan/tf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantAgent } from './tenant.ts';
import { tenantStatuses } from './tenant-status.ts';

const backend = await loadTf();
const OPERATOR = generateTenantKeyPair();
const MALLORY = generateTenantKeyPair();
const KEYS = generateTenantKeyPair();

let root: string;
let store: LocalStore;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dermagan-tenant-trust-'));
  store = new LocalStore({ root });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function agent(tenant: string, warnings: Array<Record<string, unknown>>) {
  return new TenantAgent({
    tenant, signingKey: KEYS.privateKeyPem, operatorKey: OPERATOR.publicKeyPem, store, bucket: `tenant-${tenant}`,
    folders: new FolderCache(store, join(root, tenant)), backend, logger: { warn: (o) => void warnings.push(o as Record<string, unknown>) },
  });
}

const request = (federation: string, tenants: string[], signer = OPERATOR.privateKeyPem) =>
  federationRequest({
    federation, tenants: tenants.map((tenant) => ({ tenant, publicKey: KEYS.publicKeyPem })),
    rounds: 1, k: 1, strategy: { name: 'fedavg' }, quorum: 1, roundTimeoutMs: 60_000,
    training: { res: 16, cfg: 'test', aug: 'noaug', seed: 0 }, output: { bucket: 'agg', prefix: `federations/${federation}/out/` },
  }, signer);

describe('a tenant agent trusts only its operator', () => {
  it.each<[string, (e: DermaganEvent<ReturnType<typeof request>['data']>) => DermaganEvent<ReturnType<typeof request>['data']>, RegExp]>([
    ['unsigned', (e) => ({ ...e, data: { ...e.data, signature: undefined } }), /not signed by the operator/],
    ['signed by another key', (e) => ({ ...e, data: { ...e.data, signature: signFederationRequest(MALLORY.privateKeyPem, e.runid!, e.data) } }), /does not verify/],
  ])('ignores a %s federation.requested with the reason logged: nothing kept, no join published', async (what, tamper, reason) => {
    const warnings: Array<Record<string, unknown>> = [];
    const federation = `fed-${what.replace(/\W/g, '-')}`;
    const published: unknown[] = [];
    // Not listed: an accepted request would make it publish a join.
    await agent('h1', warnings).onRequested(tamper(request(federation, ['other'])), async (e) => void published.push(e));
    expect(published).toEqual([]);
    expect(await store.stat('tenant-h1', `federations/${federation}/request.json`)).toBeNull();
    expect(warnings).toEqual([expect.objectContaining({ federation, tenant: 'h1', reason: expect.stringMatching(reason) })]);
  });

  it('keeps and answers a request its operator signed (a join when not listed)', async () => {
    const warnings: Array<Record<string, unknown>> = [];
    const published: Array<{ type: string }> = [];
    await agent('h2', warnings).onRequested(request('fed-signed', ['other']), async (e) => void published.push(e));
    expect(warnings).toEqual([]);
    expect(published.map((e) => e.type)).toEqual(['org.dermagan.federation.tenant.joined.v1']);
    expect(await store.stat('tenant-h2', 'federations/fed-signed/request.json')).not.toBeNull();
  });

  it('refuses a global model whose bytes are not the ones its reference names, before training', async () => {
    const warnings: Array<Record<string, unknown>> = [];
    const a = agent('h3', warnings);
    await a.onRequested(request('fed-global', ['h3']), async () => {});
    await store.ensureBucket('agg');
    const ref = await store.put('agg', 'federations/fed-global/global/initial.dgw', encodeWeightSet({ tensors: [{ name: 'G/w', shape: [2], data: Float32Array.from([1, 2]) }], scalars: {} }));
    // Someone with write access replaces the object after the round named it.
    await store.put('agg', ref.key, encodeWeightSet({ tensors: [{ name: 'G/w', shape: [2], data: Float32Array.from([1000, 2000]) }], scalars: {} }));
    const started = FederationRoundStarted.create(
      {
        round: 1, attempt: 0, participants: ['h3'], global: ref, deadline: new Date(Date.now() + 60_000).toISOString(), k: 1,
        ganStatePolicy: { adaP: 'average', plMean: 'average', moments: 'keep-local', gEma: 'average', gEmaBeta: 0.999 },
      },
      { runid: 'fed-global' },
    );
    await expect(a.onRoundStarted(started, async () => {})).rejects.toBeInstanceOf(IntegrityError);
  });

  it('a kept request replaced in the bucket by an unsigned one is refused, not trained on', async () => {
    const a = agent('h4', []);
    await a.onRequested(request('fed-kept', ['h4']), async () => {});
    const forged = { ...request('fed-kept', ['h4']).data, rounds: 99, signature: undefined };
    await store.put('tenant-h4', 'federations/fed-kept/request.json', JSON.stringify(FederationRequested.schema.parse(forged)));
    await expect(a.rejoin(async () => {})).rejects.toThrow(/is not the operator's/);
  });
});

describe('a tenant agent keeps its status from the aggregator’s completed rounds and the federation’s end', () => {
  it('records the last round it took part in and each rejection of its updates with the reason; ignores federations it has no request of', async () => {
    const a = agent('h5', []);
    await a.onRequested(request('fed-status', ['h5', 'other']), async () => {});
    const global = { bucket: 'agg', key: 'g', sha256: '0'.repeat(64), size: 1 };
    const completed = (round: number, accepted: string[], rejected: Array<{ tenant: string; reason: 'norm-over-median' | 'bad-sample-count' }>, runid = 'fed-status') =>
      FederationRoundCompleted.create(
        {
          round, attempt: 0, participants: ['h5', 'other'], accepted, dropped: [], rejected: rejected.map((r) => ({ ...r, round, detail: `${r.reason} in round ${round}` })),
          updateNorms: {}, samples: {}, aggregated: true, reasons: [], global,
        },
        { runid },
      );
    await a.onRoundCompleted(completed(1, ['h5', 'other'], []));
    await a.onRoundCompleted(completed(2, ['other'], [{ tenant: 'h5', reason: 'norm-over-median' }]));
    await a.onRoundCompleted(completed(2, ['other'], [{ tenant: 'h5', reason: 'norm-over-median' }])); // redelivered: counted once
    await a.onRoundCompleted(completed(1, ['h5'], [], 'fed-unknown'));
    const failed = FederationFailed.create({ round: 3, reason: 'round 3: quorum not met' }, { runid: 'fed-status' });
    await a.onFederationEnded(failed);
    await a.onFederationEnded(FederationFailed.create({ round: 1, reason: 'not ours' }, { runid: 'fed-unknown' }));
    expect(await tenantStatuses(store, 'tenant-h5')).toEqual([
      {
        federation: 'fed-status', lastRound: 2, lastOutcome: 'rejected', rejections: [{ round: 2, reason: 'norm-over-median', detail: 'norm-over-median in round 2' }],
        ended: { outcome: 'failed', round: 3, reason: 'round 3: quorum not met', at: failed.time },
      },
    ]);
  });
});
