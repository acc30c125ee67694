/**
 * The bus's observable moments, as a small typed emitter. The runtime turns them into Prometheus
 * series (`dermagan_events_<moment>_total{type}` and the handler-duration histogram); tests and
 * tools listen to them directly. A listener that throws is ignored: observing never breaks delivery.
 */

export interface BusMomentMap {
  /** An event was written to its topic. */
  published: { type: string; id: string };
  /** A handler succeeded; `attempts` counts the tries it took, `durationMs` the last one's time. */
  handled: { type: string; id: string; group: string; attempts: number; durationMs: number };
  /** A handler failed with a retriable error and will be tried again after `delayMs`. */
  retried: { type: string; id: string; group: string; attempt: number; delayMs: number; error: string };
  /** An event went to the dead-letter topic `topic`, for `reason`. */
  deadLettered: { type: string; id: string | undefined; group: string; topic: string; reason: string; attempts: number };
  /** A redelivered event id the group had already processed was skipped. */
  duplicate: { type: string; id: string; group: string };
  /** An event was handed back unprocessed (the bus is closing); another consumer gets it. */
  handedBack: { type: string; id: string; group: string };
}

export type BusMomentName = keyof BusMomentMap;
export type BusMomentListener<K extends BusMomentName> = (moment: BusMomentMap[K]) => void;

export class BusMoments {
  private readonly listeners = new Map<BusMomentName, Set<(moment: never) => void>>();

  /** Listen to one moment; returns the function that stops listening. */
  on<K extends BusMomentName>(name: K, listener: BusMomentListener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as (moment: never) => void);
    return () => set.delete(listener as (moment: never) => void);
  }

  emit<K extends BusMomentName>(name: K, moment: BusMomentMap[K]): void {
    for (const listener of this.listeners.get(name) ?? []) {
      try {
        (listener as BusMomentListener<K>)(moment);
      } catch {
        // an observer's failure must not change delivery
      }
    }
  }
}
