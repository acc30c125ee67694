/**
 * For this service's tests: processes on one in-memory broker, a silent logger, and the
 * aggregator's initial model as the gan-trainer makes it. Not exported from index.ts.
 */
import { MemoryBroker, MemoryBus, type Subscription } from '@dermagan/bus';
import type { AggregatorDeps, AggregatorLogger } from '@dermagan/federation';
import { initialGlobalModel } from '@dermagan/gan';
import { loadTf } from '@dermagan/tf';

/** A logger that drops everything. */
export const quiet: AggregatorLogger = { info: () => {}, warn: () => {}, error: () => {} };

/** A "process": its own bus on the shared broker, with these subscriptions. */
export async function spawn(broker: MemoryBroker, subscriptions: Subscription<unknown>[]): Promise<MemoryBus> {
  const bus = new MemoryBus({ broker });
  await bus.start();
  for (const s of subscriptions) await bus.subscribe(s);
  return bus;
}

/** The engine's fresh G, D and G_ema, as the service's main.ts wires it. */
export const initialModel: NonNullable<AggregatorDeps['initialModel']> = async (training, policy) => initialGlobalModel((await loadTf()).tf, training, policy);
