/**
 * Live updates for browsers: the indexer publishes here after it wrote an event's rows; each
 * server-sent-events connection listens with its own filter (the runs its account may see).
 */
import { EventEmitter } from 'node:events';

export type LiveKind = 'run' | 'tick' | 'snapshot' | 'round';

export interface LiveUpdate {
  kind: LiveKind;
  runId: string;
  /** Who may see it: the run's tenant, or the tenants of a federation (null = central). */
  tenant: string | null;
  tenants: string[];
  data: Record<string, unknown>;
}

export class LiveHub {
  private readonly emitter = new EventEmitter();
  constructor() {
    // Every open browser tab is a listener.
    this.emitter.setMaxListeners(0);
  }
  publish(update: LiveUpdate): void {
    this.emitter.emit('update', update);
  }
  subscribe(listener: (update: LiveUpdate) => void): () => void {
    this.emitter.on('update', listener);
    return () => this.emitter.off('update', listener);
  }
  get listeners(): number {
    return this.emitter.listenerCount('update');
  }
}
