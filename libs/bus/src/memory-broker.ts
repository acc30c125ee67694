/**
 * The in-memory "cluster" memory buses connect to: topics as append-only logs, and per consumer
 * group a committed position per topic, its members and its processed-id record. Several
 * MemoryBus clients on one broker behave like several processes on one Kafka cluster: members of
 * a group share a topic's events (round robin, one at a time per group and topic — like a single
 * partition), different groups each read every event, and an event handed back by a closing
 * member goes to the next one.
 */
import type { DeliveryOutcome, ReceivedMessage } from './delivery.ts';
import { MemoryProcessedLog } from './processed-log.ts';

/** One group member's way to take a message (the bus runs the delivery pipeline). */
export interface MemoryMember {
  readonly types: readonly string[];
  deliver(message: ReceivedMessage): Promise<DeliveryOutcome>;
}

interface Cursor {
  group: string;
  topic: string;
  /** Index of the next uncommitted message. */
  committed: number;
  /** Round-robin position among the members. */
  turn: number;
  pumping: boolean;
  /** Something changed while pumping: look again. */
  again: boolean;
}

interface Group {
  members: Set<MemoryMember>;
  processed: MemoryProcessedLog;
  cursors: Map<string, Cursor>;
}

export class MemoryBroker {
  private readonly topics = new Map<string, string[]>();
  private readonly groups = new Map<string, Group>();

  /** Append a message value to a topic and wake the groups reading it. */
  append(topic: string, value: string): void {
    this.log(topic).push(value);
    for (const group of this.groups.values()) {
      const cursor = group.cursors.get(topic);
      if (cursor) this.schedule(cursor);
    }
  }

  /** Every value of a topic, oldest first. */
  read(topic: string): readonly string[] {
    return this.log(topic);
  }

  /** The group's processed-id record (shared by all its members on this broker). */
  processed(group: string): MemoryProcessedLog {
    return this.group(group).processed;
  }

  join(groupName: string, member: MemoryMember): void {
    const group = this.group(groupName);
    group.members.add(member);
    for (const topic of member.types) {
      let cursor = group.cursors.get(topic);
      if (!cursor) {
        cursor = { group: groupName, topic, committed: 0, turn: 0, pumping: false, again: false };
        group.cursors.set(topic, cursor);
      }
      this.schedule(cursor);
    }
  }

  /** Remove a member; what it had not committed goes to the remaining members. */
  leave(groupName: string, member: MemoryMember): void {
    const group = this.group(groupName);
    group.members.delete(member);
    for (const topic of member.types) {
      const cursor = group.cursors.get(topic);
      if (cursor) this.schedule(cursor);
    }
  }

  private schedule(cursor: Cursor): void {
    if (cursor.pumping) {
      cursor.again = true;
      return;
    }
    cursor.pumping = true;
    setImmediate(() => void this.pump(cursor));
  }

  /** Deliver the cursor's messages one at a time, committing each unless it is handed back. */
  private async pump(cursor: Cursor): Promise<void> {
    const group = this.group(cursor.group);
    const log = this.log(cursor.topic);
    try {
      for (;;) {
        cursor.again = false;
        const members = [...group.members].filter((m) => m.types.includes(cursor.topic));
        const value = log[cursor.committed];
        if (value === undefined || members.length === 0) break;
        const member = members[cursor.turn++ % members.length]!;
        let outcome: DeliveryOutcome;
        try {
          outcome = await member.deliver({ topic: cursor.topic, value });
        } catch {
          outcome = 'handed-back';
        }
        if (outcome !== 'handed-back') cursor.committed++;
        else if (group.members.has(member)) break; // a failing member keeps its place; wait for a change
      }
    } finally {
      cursor.pumping = false;
    }
    if (cursor.again) this.schedule(cursor);
  }

  private log(topic: string): string[] {
    let log = this.topics.get(topic);
    if (!log) this.topics.set(topic, (log = []));
    return log;
  }

  private group(name: string): Group {
    let group = this.groups.get(name);
    if (!group) this.groups.set(name, (group = { members: new Set(), processed: new MemoryProcessedLog(), cursors: new Map() }));
    return group;
  }
}
