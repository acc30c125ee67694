/**
 * A site's record of its federations (`dermagan tenant status`): a secure round refused as a whole
 * shows in every participant's status as a rejection with its reason, like any other; how the
 * federation ended (a failure with the aggregator's reason) is kept; a status written before that
 * field reads as one whose end has not arrived.
 */
import { FederationCompleted, FederationFailed, FederationRoundCompleted } from '@dermagan/contracts';
import { describe, expect, it } from 'vitest';
import { foldEnd, foldRound, TenantFederationStatus } from './tenant-status.ts';

const GLOBAL = { bucket: 'aggregator', key: 'federations/f/global/initial.dgw', sha256: 'ab'.repeat(32), size: 10 };
const fresh: TenantFederationStatus = { federation: 'f', lastRound: 0, lastOutcome: 'none', rejections: [], ended: null };

describe('tenant status', () => {
  it('a refused secure round is a rejection with its reason for each participant; the next round is accepted', () => {
    const detail = "the round's unmasked mean ‖Σ p_i·Δ_i‖ = 0.8000 > 0.03368, …";
    const participants = ['hospital-a', 'hospital-b', 'mallory'];
    const refused = FederationRoundCompleted.schema.parse({
      round: 1, attempt: 0, participants, accepted: [], dropped: [], updateNorms: {}, samples: {}, aggregated: false, global: GLOBAL,
      rejected: participants.map((tenant) => ({ tenant, round: 1, reason: 'secagg-mean-over-bound', detail })),
      reasons: [`secagg-mean-over-bound: ${detail}`],
    });
    const after = foldRound(fresh, 'hospital-a', refused);
    expect(after).toEqual({ federation: 'f', lastRound: 1, lastOutcome: 'rejected', rejections: [{ round: 1, reason: 'secagg-mean-over-bound', detail }], ended: null });
    const next = FederationRoundCompleted.schema.parse({
      round: 2, attempt: 0, participants, accepted: participants, dropped: [], rejected: [], updateNorms: {}, samples: {}, aggregated: true, global: GLOBAL, reasons: [],
    });
    expect(foldRound(after, 'hospital-a', next)).toMatchObject({ lastRound: 2, lastOutcome: 'accepted', rejections: [{ round: 1, reason: 'secagg-mean-over-bound' }] });
  });

  it('keeps how the federation ended: failed with the reason and round, or completed with its rounds', () => {
    const reason = 'round 3: quorum not met: 1 accepted update(s), quorum 2 after 3 attempt(s)';
    const failed = FederationFailed.create({ round: 3, reason }, { runid: 'f' });
    expect(failed.time).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(foldEnd(fresh, failed).ended).toEqual({ outcome: 'failed', round: 3, reason, at: failed.time });
    const completed = FederationCompleted.create({ rounds: 8, global: GLOBAL, privacy: null, provenance: {} }, { runid: 'f' });
    expect(foldEnd(fresh, completed).ended).toEqual({ outcome: 'completed', round: 8, reason: null, at: completed.time });
  });

  it('reads a status written before it recorded ends as one whose end has not arrived', () => {
    expect(TenantFederationStatus.parse({ federation: 'f', lastRound: 2, lastOutcome: 'accepted', rejections: [] }).ended).toBeNull();
  });
});
