/**
 * The fl-aggregator's subscriptions: each event of a federation goes to the aggregator
 * (@dermagan/federation FlAggregator, which runs the round state machine); one consumer group, so
 * one aggregator owns a federation's inputs.
 */
import type { Subscription } from '@dermagan/bus';
import { FederationRequested, FederationTenantJoined, FederationTenantLeft, FederationUpdateSubmitted } from '@dermagan/contracts';
import type { FederationRequestedData, FlAggregator, TenantJoinedData, TenantLeftData, UpdateSubmittedData } from '@dermagan/federation';

/** The aggregator's subscriptions (one consumer group: one aggregator owns a federation's inputs). */
export function aggregatorSubscriptions(aggregator: FlAggregator): Subscription<unknown>[] {
  const group = 'fl-aggregator';
  const requested: Subscription<FederationRequestedData> = {
    group,
    types: [FederationRequested.type],
    parse: (raw) => FederationRequested.parse(raw),
    handler: (event, ctx) => aggregator.onRequested(event, ctx.publish),
  };
  const updates: Subscription<UpdateSubmittedData> = {
    group,
    types: [FederationUpdateSubmitted.type],
    parse: (raw) => FederationUpdateSubmitted.parse(raw),
    handler: (event, ctx) => aggregator.onUpdate(event, ctx.publish),
  };
  const joined: Subscription<TenantJoinedData> = {
    group,
    types: [FederationTenantJoined.type],
    parse: (raw) => FederationTenantJoined.parse(raw),
    handler: (event, ctx) => aggregator.onJoined(event, ctx.publish),
  };
  const left: Subscription<TenantLeftData> = {
    group,
    types: [FederationTenantLeft.type],
    parse: (raw) => FederationTenantLeft.parse(raw),
    handler: (event, ctx) => aggregator.onLeft(event, ctx.publish),
  };
  return [requested, updates, joined, left] as Subscription<unknown>[];
}
