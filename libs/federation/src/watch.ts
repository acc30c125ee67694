/**
 * Following one federation from the outside (the study, `dermagan federate`, tests): its rounds as
 * they complete, and how it ended.
 */
import type { EventBus, Subscription } from '@dermagan/bus';
import { FederationCompleted, FederationFailed, FederationRoundCompleted } from '@dermagan/contracts';
import type { z } from 'zod';

export type RoundCompletedData = z.output<typeof FederationRoundCompleted.schema>;
export type FederationCompletedData = z.output<typeof FederationCompleted.schema>;

/** How a watched federation ended. */
export type FederationOutcome =
  | { status: 'completed'; completed: FederationCompletedData; rounds: RoundCompletedData[] }
  | { status: 'failed'; reason: string; rounds: RoundCompletedData[] };

/**
 * Watch one federation on a bus (its own consumer group): `onRound` for each `round.completed`;
 * `done` settles with the outcome at `federation.completed` / `federation.failed`.
 */
export async function watchFederation(
  bus: EventBus,
  federation: string,
  onRound?: (r: RoundCompletedData) => void,
  group = `watch-${federation}`,
): Promise<{ done: Promise<FederationOutcome> }> {
  const rounds: RoundCompletedData[] = [];
  let settle!: (o: FederationOutcome) => void;
  const done = new Promise<FederationOutcome>((resolve) => (settle = resolve));
  const mine = (e: { runid?: string | undefined }) => e.runid === federation;
  const subs: Subscription<unknown>[] = [
    {
      group, types: [FederationRoundCompleted.type], parse: (raw) => FederationRoundCompleted.parse(raw),
      handler: async (e) => {
        if (!mine(e)) return;
        const data = e.data as RoundCompletedData;
        rounds.push(data);
        onRound?.(data);
      },
    },
    {
      group, types: [FederationCompleted.type], parse: (raw) => FederationCompleted.parse(raw),
      handler: async (e) => void (mine(e) && settle({ status: 'completed', completed: e.data as FederationCompletedData, rounds })),
    },
    {
      group, types: [FederationFailed.type], parse: (raw) => FederationFailed.parse(raw),
      handler: async (e) => void (mine(e) && settle({ status: 'failed', reason: (e.data as { reason: string }).reason, rounds })),
    },
  ];
  for (const s of subs) await bus.subscribe(s);
  return { done };
}

