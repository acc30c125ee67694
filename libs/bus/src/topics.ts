/**
 * Topic and group names. The event type is the topic (`org.dermagan.dataset.ingested.v1`); its
 * dead letters go to `<type>.dlq`; a group's idempotency record is `dermagan.processed.<group>`.
 */
import { BusUsageError } from './errors.ts';

/** Kafka's legal topic characters and length. */
const LEGAL = /^[a-zA-Z0-9._-]{1,249}$/;

export function checkTopicName(name: string, what = 'event type'): string {
  if (!LEGAL.test(name) || name === '.' || name === '..') {
    throw new BusUsageError(`${what} "${name}" cannot be a topic name: use 1–249 of a-z A-Z 0-9 . _ -`);
  }
  return name;
}

export function checkGroupName(group: string): string {
  if (!/^[a-zA-Z0-9._-]{1,200}$/.test(group)) {
    throw new BusUsageError(`consumer group "${group}" is invalid: use 1–200 of a-z A-Z 0-9 . _ -`);
  }
  return group;
}

export const deadLetterTopic = (type: string): string => `${type}.dlq`;
export const processedTopic = (group: string): string => `dermagan.processed.${group}`;
