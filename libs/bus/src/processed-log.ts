/**
 * The idempotency record: which event ids a consumer group has finished with (handled, or sent to
 * the dead-letter topic). A redelivered id found here is committed without calling the handler
 * again. The memory adapter keeps it in the process; the Kafka adapter keeps it durably in a
 * compacted topic (kafka-processed-log.ts), so it survives consumer and broker restarts.
 */

/** How a group finished with an event. */
export type ProcessedOutcome = 'handled' | 'dead-lettered';

export interface ProcessedLog {
  /** True when the group has finished with this event id. */
  has(id: string): boolean;
  /**
   * Record that the group finished with `id`. `has(id)` is true as soon as this is called; the
   * promise resolves once the record is durable (and rejects, retriable, when it could not be made so).
   */
  record(id: string, outcome: ProcessedOutcome): Promise<void>;
  /** Make `has` reflect every record other members of the group have made durable so far. */
  catchUp(): Promise<void>;
}

/** In-process record, shared by every memory-bus client of one MemoryBroker. */
export class MemoryProcessedLog implements ProcessedLog {
  private readonly ids = new Map<string, ProcessedOutcome>();
  has(id: string): boolean {
    return this.ids.has(id);
  }
  async record(id: string, outcome: ProcessedOutcome): Promise<void> {
    this.ids.set(id, outcome);
  }
  async catchUp(): Promise<void> {}
  /** How the group finished with `id`, if it has. */
  outcome(id: string): ProcessedOutcome | undefined {
    return this.ids.get(id);
  }
}
