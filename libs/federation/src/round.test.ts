import { FederationRoundCompleted, type ArtifactRef } from '@dermagan/contracts';
import { describe, expect, it } from 'vitest';
import {
  reduceFederation,
  restoreFederationState,
  startFederation,
  type FederationAction,
  type FederationInput,
  type FederationState,
  type RoundPlanner,
} from './round.ts';

const ref = (name: string): ArtifactRef => ({ bucket: 'fl', key: `federations/f1/${name}.dgw`, sha256: name.padEnd(64, '0').replace(/[^0-9a-f]/g, 'a'), size: 100 });
const G0 = ref('g0');
const T0 = 1_000_000;

/** Drives the reducer like the service: the state goes through JSON after every transition. */
class Driver {
  state: FederationState;
  log: FederationAction[] = [];
  constructor(tenants: string[], rules: Partial<Parameters<typeof startFederation>[0]['rules']> = {}, private planner?: RoundPlanner, samples?: Record<string, number>) {
    const t = startFederation({ federation: 'f1', rules: { rounds: 3, quorum: 2, roundTimeoutMs: 60_000, ...rules }, globalRef: G0, tenants, ...(samples ? { samples } : {}), strategyState: { name: 'fedavg' }, at: T0 }, planner);
    this.state = restoreFederationState(JSON.parse(JSON.stringify(t.state)));
    this.log.push(...t.actions);
  }
  send(input: FederationInput): FederationAction[] {
    const t = reduceFederation(this.state, input, this.planner);
    this.state = restoreFederationState(JSON.parse(JSON.stringify(t.state)));
    this.log.push(...t.actions);
    return t.actions;
  }
  submit(tenant: string, round = this.state.round, samples = 1000, at = T0 + 1, bytes = ref(`${tenant}-r${round}`)) {
    return this.send({ type: 'update.submitted', tenant, round, ref: bytes, samples, signature: 'sig', at });
  }
  accept(tenant: string, norm = 1, round = this.state.round) {
    return this.send({ type: 'update.validated', tenant, round, deltaNorm: norm, at: T0 + 2 });
  }
  submitAndAccept(tenant: string, norm = 1) {
    this.submit(tenant);
    return this.accept(tenant, norm);
  }
  aggregated(global: ArtifactRef) {
    return this.send({ type: 'aggregation.completed', round: this.state.round, attempt: this.state.attempt, globalRef: global, strategyState: { name: 'fedavg', roundsAggregated: this.state.round }, at: T0 + 3 });
  }
}

const types = (actions: FederationAction[]) => actions.map((a) => a.type);
const only = <T extends FederationAction['type']>(actions: FederationAction[], type: T) => actions.filter((a): a is Extract<FederationAction, { type: T }> => a.type === type);

describe('round reducer', () => {
  it('starts round 1 with every tenant, a deadline, and the global model', () => {
    const d = new Driver(['b', 'a', 'c']);
    expect(d.log).toEqual([
      { type: 'publish-round-started', round: 1, attempt: 0, participants: ['a', 'b', 'c'], globalRef: G0, deadline: T0 + 60_000 },
      { type: 'schedule-deadline', round: 1, attempt: 0, at: T0 + 60_000 },
    ]);
  });

  it('validates each submission, aggregates when every participant is in, and runs N rounds to completion', () => {
    const d = new Driver(['a', 'b', 'c']);
    expect(d.submit('a')).toEqual([{ type: 'validate-update', tenant: 'a', round: 1, attempt: 0, ref: ref('a-r1'), samples: 1000, signature: 'sig', reportedNorm: null }]);
    d.accept('a');
    d.submitAndAccept('b', 2);
    const last = d.submitAndAccept('c', 3);
    expect(last).toEqual([
      {
        type: 'aggregate', round: 1, attempt: 0, globalRef: G0, strategyState: { name: 'fedavg' },
        updates: [
          { tenant: 'a', ref: ref('a-r1'), samples: 1000, deltaNorm: 1, reportedNorm: null },
          { tenant: 'b', ref: ref('b-r1'), samples: 1000, deltaNorm: 2, reportedNorm: null },
          { tenant: 'c', ref: ref('c-r1'), samples: 1000, deltaNorm: 3, reportedNorm: null },
        ],
        failures: [],
      },
    ]);
    const closed = d.aggregated(ref('g1'));
    expect(types(closed)).toEqual(['publish-round-completed', 'publish-round-started', 'schedule-deadline']);
    const summary = only(closed, 'publish-round-completed')[0]!.summary;
    expect(summary).toMatchObject({ round: 1, accepted: ['a', 'b', 'c'], dropped: [], rejected: [], aggregated: true, globalRef: ref('g1'), updateNorms: { a: 1, b: 2, c: 3 } });
    expect(only(closed, 'publish-round-started')[0]).toMatchObject({ round: 2, globalRef: ref('g1') });
    expect(d.state.strategyState).toEqual({ name: 'fedavg', roundsAggregated: 1 });
    for (const r of [2, 3]) {
      for (const t of ['a', 'b', 'c']) d.submitAndAccept(t);
      const end = d.aggregated(ref(`g${r}`));
      if (r === 3) expect(end.at(-1)).toEqual({ type: 'publish-federation-completed', globalRef: ref('g3'), rounds: 3 });
    }
    expect(d.state.phase).toBe('completed');
    expect(d.state.history.map((h) => h.globalRef.key)).toEqual(['federations/f1/g1.dgw', 'federations/f1/g2.dgw', 'federations/f1/g3.dgw']);
  });

  it('the round summary is valid `federation.round.completed` data', () => {
    const d = new Driver(['a', 'b']);
    d.submitAndAccept('a');
    d.submitAndAccept('b');
    const summary = only(d.aggregated(ref('g1')), 'publish-round-completed')[0]!.summary;
    const { globalRef, ...rest } = summary;
    expect(() => FederationRoundCompleted.create({ ...rest, global: globalRef })).not.toThrow();
  });

  it('drop-out: the round completes on quorum without the dropped tenant, which rejoins for the next round', () => {
    const d = new Driver(['a', 'b', 'c']);
    d.submitAndAccept('a');
    d.submitAndAccept('b');
    const drop = d.send({ type: 'tenant.dropped', tenant: 'c', at: T0 + 5 });
    const agg = only(drop, 'aggregate')[0]!;
    expect(agg.updates.map((u) => u.tenant)).toEqual(['a', 'b']);
    expect(agg.failures).toEqual([{ tenant: 'c', reason: 'dropped' }]);
    d.send({ type: 'tenant.joined', tenant: 'c', at: T0 + 6 });
    const next = d.aggregated(ref('g1'));
    expect(only(next, 'publish-round-completed')[0]!.summary.dropped).toEqual(['c']);
    expect(only(next, 'publish-round-started')[0]!.participants).toEqual(['a', 'b', 'c']);
  });

  it('a dropped tenant that does not rejoin is not asked again', () => {
    const d = new Driver(['a', 'b', 'c']);
    d.send({ type: 'tenant.dropped', tenant: 'c', at: T0 });
    d.submitAndAccept('a');
    d.submitAndAccept('b');
    expect(only(d.aggregated(ref('g1')), 'publish-round-started')[0]!.participants).toEqual(['a', 'b']);
  });

  it('straggler: dropped at the deadline; its late update is rejected past-deadline, then stale-round', () => {
    const d = new Driver(['a', 'b', 'c']);
    d.submitAndAccept('a');
    d.submitAndAccept('b');
    expect(d.log.some((a) => a.type === 'aggregate')).toBe(false); // still waiting for c
    const atDeadline = d.send({ type: 'deadline.passed', round: 1, attempt: 0, at: T0 + 60_000 });
    expect(only(atDeadline, 'aggregate')[0]!.failures).toEqual([{ tenant: 'c', reason: 'dropped' }]);
    expect(only(d.submit('c', 1), 'reject-update')[0]!.rejection).toMatchObject({ tenant: 'c', round: 1, reason: 'past-deadline' });
    d.aggregated(ref('g1'));
    expect(only(d.submit('c', 1), 'reject-update')[0]!.rejection.reason).toBe('stale-round');
    // c is still a tenant: it is asked again in round 2.
    expect(d.state.participants).toEqual(['a', 'b', 'c']);
  });

  it('at the deadline an update still being validated is waited for', () => {
    const d = new Driver(['a', 'b', 'c']);
    d.submitAndAccept('a');
    d.submit('b');
    expect(types(d.send({ type: 'deadline.passed', round: 1, attempt: 0, at: T0 + 60_000 }))).toEqual([]);
    expect(only(d.accept('b'), 'aggregate')[0]!.updates.map((u) => u.tenant)).toEqual(['a', 'b']);
  });

  it('replay of an older round and a duplicate are rejected, never validated', () => {
    const d = new Driver(['a', 'b']);
    d.submitAndAccept('a');
    d.submitAndAccept('b');
    d.aggregated(ref('g1'));
    expect(only(d.submit('a', 1), 'reject-update')[0]!.rejection.reason).toBe('stale-round');
    d.submit('a', 2);
    const dup = d.submit('a', 2);
    expect(dup).toEqual([{ type: 'reject-update', rejection: { tenant: 'a', round: 2, reason: 'duplicate', detail: 'tenant a already submitted for round 2' } }]);
    expect(only(d.submit('b', 3), 'reject-update')[0]!.rejection.reason).toBe('future-round');
  });

  it('a tenant joining mid-run takes part from the next round', () => {
    const d = new Driver(['a', 'b']);
    d.send({ type: 'tenant.joined', tenant: 'd', at: T0 + 1 });
    expect(only(d.submit('d', 1), 'reject-update')[0]!.rejection.reason).toBe('not-participant');
    d.submitAndAccept('a');
    const agg = d.submitAndAccept('b');
    expect(only(agg, 'aggregate')[0]!.updates.map((u) => u.tenant)).toEqual(['a', 'b']);
    expect(only(d.aggregated(ref('g1')), 'publish-round-started')[0]!.participants).toEqual(['a', 'b', 'd']);
    expect(d.state.tenants.d).toEqual({ joinedRound: 2, active: true });
  });

  it('rejections from validation resolve the tenant; the round aggregates the others and reports the reason', () => {
    const d = new Driver(['a', 'b', 'c']);
    d.submitAndAccept('a');
    d.submitAndAccept('b');
    d.submit('c');
    const out = d.send({ type: 'update.rejected', rejection: { tenant: 'c', round: 1, reason: 'non-finite', detail: '3 NaN/Inf values, first in G/w' }, at: T0 + 3 });
    expect(types(out)).toEqual(['reject-update', 'aggregate']);
    expect(only(out, 'aggregate')[0]!.failures).toEqual([{ tenant: 'c', reason: 'non-finite', detail: '3 NaN/Inf values, first in G/w' }]);
    expect(only(d.aggregated(ref('g1')), 'publish-round-completed')[0]!.summary.rejected.map((r) => r.reason)).toEqual(['non-finite']);
  });

  it('a tenant cannot claim more samples than it registered: rejected, the round goes on without it', () => {
    const d = new Driver(['a', 'b', 'c'], {}, undefined, { a: 1000, b: 1000, c: 1000 });
    d.submitAndAccept('a');
    d.submitAndAccept('b');
    const out = d.submit('c', 1, 2_000_000_000);
    expect(only(out, 'reject-update')[0]!.rejection).toMatchObject({
      tenant: 'c', reason: 'bad-sample-count', detail: 'sample count 2000000000 exceeds the 1000 tenant c registered',
    });
    expect(only(out, 'aggregate')[0]!.updates.map((u) => u.tenant)).toEqual(['a', 'b']);
    const fine = new Driver(['a', 'b', 'c'], {}, undefined, { a: 1000, b: 1000, c: 1000 });
    expect(types(fine.submit('c', 1, 1000))).toEqual(['validate-update']);
  });

  it('by default an update more than 3× the round’s median norm is rejected, with 3 tenants too', () => {
    const d = new Driver(['a', 'b', 'c']);
    d.submitAndAccept('a', 0.03);
    d.submitAndAccept('b', 0.035);
    const out = d.submitAndAccept('c', 1000);
    expect(only(out, 'reject-update')[0]!.rejection).toMatchObject({
      tenant: 'c', reason: 'norm-over-median', detail: '‖update − global‖ = 1000 > 3 × the round’s median 0.03500',
    });
    expect(only(out, 'aggregate')[0]!.updates.map((u) => u.tenant)).toEqual(['a', 'b']);
    expect(only(d.aggregated(ref('g1')), 'publish-round-completed')[0]!.summary).toMatchObject({ accepted: ['a', 'b'], updateNorms: { c: 1000 } });
  });

  it('norms within the factor all pass; the factor is a rule (0 = off); with 2 updates there is no median to trust', () => {
    const within = new Driver(['a', 'b', 'c']);
    for (const [t, n] of [['a', 1], ['b', 2], ['c', 2.9]] as const) within.submitAndAccept(t, n);
    expect(within.state.phase).toBe('aggregating');
    expect(within.state.rejected).toEqual([]);
    const off = new Driver(['a', 'b', 'c'], { maxNormToMedian: 0 });
    for (const [t, n] of [['a', 1], ['b', 1], ['c', 1000]] as const) off.submitAndAccept(t, n);
    expect(off.state.rejected).toEqual([]);
    const two = new Driver(['a', 'b']);
    two.submitAndAccept('a', 1);
    expect(only(two.submitAndAccept('b', 1000), 'aggregate')[0]!.updates).toHaveLength(2);
  });

  it('another tenant’s update bytes re-submitted are rejected as copied-update; the original stands', () => {
    const d = new Driver(['a', 'b', 'c']);
    d.submitAndAccept('a');
    const out = d.submit('b', 1, 1000, T0 + 1, ref('a-r1'));
    expect(only(out, 'reject-update')[0]!.rejection).toMatchObject({ tenant: 'b', reason: 'copied-update', detail: `the same bytes (sha256 ${ref('a-r1').sha256.slice(0, 12)}…) as tenant a's update` });
    const last = d.submitAndAccept('c');
    expect(only(last, 'aggregate')[0]!.updates.map((u) => u.tenant)).toEqual(['a', 'c']);
  });

  it('robust outlier rejection among the accepted norms when outlierZ is set', () => {
    const d = new Driver(['a', 'b', 'c', 'd', 'e'], { outlierZ: 3.5 });
    for (const [t, n] of [['a', 1], ['b', 1.1], ['c', 0.9], ['d', 1.05]] as const) d.submitAndAccept(t, n);
    const out = d.submitAndAccept('e', 2.5); // under 3 × the median, yet far out for so tight a round
    expect(only(out, 'reject-update')[0]!.rejection).toMatchObject({ tenant: 'e', reason: 'norm-outlier' });
    expect(only(out, 'aggregate')[0]!.updates.map((u) => u.tenant)).toEqual(['a', 'b', 'c', 'd']);
    expect(only(d.aggregated(ref('g1')), 'publish-round-completed')[0]!.summary.updateNorms.e).toBe(2.5);
  });

  it('quorum missed: the attempt is reported, the round retried (stale timers ignored), then the federation fails', () => {
    const d = new Driver(['a', 'b', 'c'], { maxRoundRetries: 1 });
    d.submitAndAccept('a');
    const miss = d.send({ type: 'deadline.passed', round: 1, attempt: 0, at: T0 + 60_000 });
    expect(types(miss)).toEqual(['publish-round-completed', 'publish-round-started', 'schedule-deadline']);
    expect(only(miss, 'publish-round-completed')[0]!.summary).toMatchObject({ aggregated: false, reasons: ['quorum not met: 1 accepted update(s), quorum 2'], dropped: ['b', 'c'] });
    expect(only(miss, 'publish-round-started')[0]).toMatchObject({ round: 1, attempt: 1, globalRef: G0, deadline: T0 + 120_000 });
    expect(d.send({ type: 'deadline.passed', round: 1, attempt: 0, at: T0 + 61_000 })).toEqual([]);
    const fail = d.send({ type: 'deadline.passed', round: 1, attempt: 1, at: T0 + 120_000 });
    expect(fail.at(-1)).toEqual({ type: 'publish-federation-failed', reason: 'round 1: quorum not met: 0 accepted update(s), quorum 2 after 2 attempt(s)' });
    expect(d.state.phase).toBe('failed');
    expect(only(d.submit('a', 1), 'reject-update')[0]!.rejection.reason).toBe('stale-round');
  });

  it('every tenant gone: the quorum is missed, and the retry asks the tenants that rejoined meanwhile', () => {
    const d = new Driver(['a', 'b'], { maxRoundRetries: 3 });
    d.send({ type: 'tenant.dropped', tenant: 'a', at: T0 + 1 });
    const out = d.send({ type: 'tenant.dropped', tenant: 'b', at: T0 + 2 });
    expect(only(out, 'publish-round-started')[0]).toMatchObject({ round: 1, attempt: 1, participants: [] });
    d.send({ type: 'tenant.joined', tenant: 'a', at: T0 + 3 });
    d.send({ type: 'tenant.joined', tenant: 'b', at: T0 + 4 });
    const retry = d.send({ type: 'deadline.passed', round: 1, attempt: 1, at: T0 + 60_002 });
    expect(only(retry, 'publish-round-started')[0]).toMatchObject({ round: 1, attempt: 2, participants: ['a', 'b'] });
  });

  it('a skipped aggregation keeps the previous global model and moves on', () => {
    const d = new Driver(['a', 'b']);
    d.submitAndAccept('a');
    d.submitAndAccept('b');
    const out = d.send({ type: 'aggregation.skipped', round: 1, attempt: 0, reasons: ['no accepted updates'], at: T0 + 4 });
    expect(only(out, 'publish-round-completed')[0]!.summary).toMatchObject({ aggregated: false, globalRef: G0, reasons: ['no accepted updates'] });
    expect(only(out, 'publish-round-started')[0]).toMatchObject({ round: 2, globalRef: G0 });
  });

  it('restart while collecting: resumes with the round announcement, the deadline timer and pending validations', () => {
    const d = new Driver(['a', 'b', 'c']);
    d.submitAndAccept('a');
    d.submit('b');
    const persisted = JSON.stringify(d.state);
    const restarted = restoreFederationState(JSON.parse(persisted));
    const { actions } = reduceFederation(restarted, { type: 'resumed', at: T0 + 30_000 });
    expect(actions).toEqual([
      { type: 'publish-round-started', round: 1, attempt: 0, participants: ['a', 'b', 'c'], globalRef: G0, deadline: T0 + 60_000 },
      { type: 'schedule-deadline', round: 1, attempt: 0, at: T0 + 60_000 },
      { type: 'validate-update', tenant: 'b', round: 1, attempt: 0, ref: ref('b-r1'), samples: 1000, signature: 'sig', reportedNorm: null },
    ]);
    // The restarted reducer continues the same round.
    const after = reduceFederation(restarted, { type: 'update.validated', tenant: 'b', round: 1, deltaNorm: 1, at: T0 + 31_000 });
    expect(after.actions).toEqual([]);
    const end = reduceFederation(after.state, { type: 'update.submitted', tenant: 'c', round: 1, ref: ref('c-r1'), samples: 5, signature: null, at: T0 + 32_000 });
    expect(types(end.actions)).toEqual(['validate-update']);
  });

  it('restart while aggregating: re-issues the same aggregate action', () => {
    const d = new Driver(['a', 'b']);
    d.submitAndAccept('a');
    const original = only(d.submitAndAccept('b'), 'aggregate')[0];
    const { actions } = reduceFederation(restoreFederationState(JSON.parse(JSON.stringify(d.state))), { type: 'resumed', at: T0 + 9 });
    expect(actions).toEqual([original]);
  });

  it('restoreFederationState refuses a state that is not one', () => {
    expect(() => restoreFederationState({ version: 1, federation: 'f1' })).toThrow(/not a federation state/);
  });

  it('uses the planner (e.g. Strategy.configureRound) to choose participants', () => {
    const d = new Driver(['a', 'b', 'c'], {}, (_round, active) => active.filter((t) => t !== 'b'));
    expect(d.state.participants).toEqual(['a', 'c']);
  });
});

describe('round reducer under secure aggregation (every participant or none)', () => {
  const secagg = { secagg: true, quorum: 2, maxRoundRetries: 2 };
  const submitMasked = (d: Driver, tenant: string, attempt = d.state.attempt, reportedNorm = 0.5) =>
    d.send({ type: 'update.submitted', tenant, round: d.state.round, attempt, ref: ref(`${tenant}-r${d.state.round}-a${attempt}`), samples: 1000, signature: 'sig', reportedNorm, at: T0 + 1 });
  const acceptMasked = (d: Driver, tenant: string) => d.send({ type: 'update.validated', tenant, round: d.state.round, deltaNorm: null, at: T0 + 2 });

  it('aggregates only with every participant, with no norms (masked updates have none)', () => {
    const d = new Driver(['a', 'b', 'c'], secagg);
    for (const t of ['a', 'b']) {
      submitMasked(d, t);
      expect(acceptMasked(d, t)).toEqual([]);
    }
    submitMasked(d, 'c');
    const last = acceptMasked(d, 'c');
    expect(only(last, 'aggregate')[0]!.updates.map((u) => u.tenant)).toEqual(['a', 'b', 'c']);
    expect(d.aggregated(ref('g1'))).toContainEqual(expect.objectContaining({ type: 'publish-round-completed', summary: expect.objectContaining({ updateNorms: {}, aggregated: true }) }));
  });

  it('the reported norms go to the aggregation; a refused mean rejects every update, keeps the global model and opens the next round', () => {
    const d = new Driver(['a', 'b', 'c'], secagg);
    let last: FederationAction[] = [];
    for (const [t, norm] of [['a', 0.1], ['b', 0.2], ['c', 0.3]] as const) {
      submitMasked(d, t, 0, norm);
      last = acceptMasked(d, t);
    }
    const aggregate = only(last, 'aggregate')[0]!;
    expect(aggregate.updates.map((u) => [u.tenant, u.reportedNorm])).toEqual([['a', 0.1], ['b', 0.2], ['c', 0.3]]);
    const before = d.state.globalRef;
    const rejections = ['a', 'b', 'c'].map((tenant) => ({ tenant, round: 1, reason: 'secagg-mean-over-bound' as const, detail: 'mean 9 > bound 0.2' }));
    const out = d.send({ type: 'aggregation.refused', round: 1, attempt: 0, rejections, reasons: ['secagg-mean-over-bound: mean 9 > bound 0.2'], at: T0 + 3 });
    expect(only(out, 'reject-update').map((a) => a.rejection)).toEqual(rejections);
    expect(only(out, 'publish-round-completed')[0]!.summary).toMatchObject({
      round: 1, aggregated: false, accepted: [], rejected: rejections, reasons: ['secagg-mean-over-bound: mean 9 > bound 0.2'], globalRef: before,
    });
    expect(only(out, 'publish-round-started')[0]).toMatchObject({ round: 2, attempt: 0, participants: ['a', 'b', 'c'], globalRef: before });
    expect(d.state.globalRef).toEqual(before);
    // A late or repeated refusal changes nothing.
    expect(d.send({ type: 'aggregation.refused', round: 1, attempt: 0, rejections, reasons: [], at: T0 + 4 })).toEqual([]);
  });

  it('a rejected participant ends the attempt at once; the retry goes without it, and it is asked again next round', () => {
    const d = new Driver(['a', 'b', 'c'], secagg);
    submitMasked(d, 'a');
    acceptMasked(d, 'a');
    submitMasked(d, 'b');
    const out = d.send({ type: 'update.rejected', rejection: { tenant: 'b', round: 1, reason: 'signature-invalid', detail: 'x' }, at: T0 + 2 });
    const summary = only(out, 'publish-round-completed')[0]!.summary;
    expect(summary).toMatchObject({ round: 1, attempt: 0, aggregated: false, accepted: ['a'] });
    expect(summary.reasons[0]).toMatch(/every participant's masked update; none usable from b/);
    expect(only(out, 'publish-round-started')[0]).toMatchObject({ round: 1, attempt: 1, participants: ['a', 'c'] });
    // c was still training attempt 0: its update answers the wrong attempt.
    const stale = submitMasked(d, 'c', 0);
    expect(only(stale, 'reject-update')[0]!.rejection).toMatchObject({ tenant: 'c', reason: 'stale-round', detail: expect.stringMatching(/attempt 0 of round 1; attempt 1 is open/) });
    for (const t of ['a', 'c']) {
      submitMasked(d, t);
      acceptMasked(d, t);
    }
    expect(d.state.phase).toBe('aggregating');
    const next = d.aggregated(ref('g1'));
    expect(only(next, 'publish-round-started')[0]).toMatchObject({ round: 2, attempt: 0, participants: ['a', 'b', 'c'] });
  });

  it('a straggler past the deadline is dropped and the round retried without it; too few left fails the federation', () => {
    const d = new Driver(['a', 'b', 'c'], { ...secagg, maxRoundRetries: 1 });
    submitMasked(d, 'a');
    acceptMasked(d, 'a');
    submitMasked(d, 'b');
    acceptMasked(d, 'b');
    const out = d.send({ type: 'deadline.passed', round: 1, attempt: 0, at: T0 + 60_000 });
    expect(only(out, 'publish-round-completed')[0]!.summary).toMatchObject({ dropped: ['c'], aggregated: false });
    expect(only(out, 'publish-round-started')[0]).toMatchObject({ attempt: 1, participants: ['a', 'b'] });
    d.send({ type: 'tenant.dropped', tenant: 'b', at: T0 + 61_000 });
    expect(d.state.phase).toBe('failed');
    expect(d.state.failure).toMatch(/round 1: secure aggregation needs every participant's masked update; none usable from b.* after 2 attempt\(s\)/);
  });
});
