/**
 * The wire form both adapters share: a structured-mode CloudEvents JSON envelope
 * (`application/cloudevents+json`, CloudEvents Kafka binding §3.2), keyed for ordering by run,
 * then tenant, then id — so a run's events stay in order on one partition.
 */
import { ContractError, envelopeFromJSON, eventToJSON, type DermaganEvent } from '@dermagan/contracts';
import { BusUsageError } from './errors.ts';
import { checkTopicName } from './topics.ts';

export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json; charset=UTF-8';

export interface WireMessage {
  /** Topic = event type. */
  topic: string;
  /** Partitioning key: runid, else tenant, else the event id. */
  key: string;
  /** Structured-mode JSON envelope. */
  value: string;
  /** content-type plus copies of the routing attributes as `ce_*` headers (filtering without parsing). */
  headers: Record<string, string>;
}

/** Serialise an event for publication; throws BusUsageError when it is not a CloudEvent with id and type. */
export function toWire(event: DermaganEvent<unknown>): WireMessage {
  if (typeof event !== 'object' || event === null || typeof event.id !== 'string' || typeof event.type !== 'string') {
    throw new BusUsageError('publish: expected a dermagan event (create it with an event definition’s create())');
  }
  const topic = checkTopicName(event.type);
  const headers: Record<string, string> = {
    'content-type': STRUCTURED_CONTENT_TYPE,
    ce_specversion: String(event.specversion),
    ce_id: event.id,
    ce_type: event.type,
    ce_source: String(event.source),
  };
  if (event.runid) headers.ce_runid = event.runid;
  if (event.tenant) headers.ce_tenant = event.tenant;
  return { topic, key: event.runid ?? event.tenant ?? event.id, value: eventToJSON(event), headers };
}

/** Decode a received value into an envelope; throws ContractError (→ dead letter) when it is not one. */
export function fromWire(value: string | null | undefined): Record<string, unknown> & { id: string; type: string } {
  if (value === null || value === undefined || value === '') throw new ContractError('message has no value');
  return envelopeFromJSON(value);
}

/** Freeze an event and everything reachable from it, so a handler cannot change what others see. */
export function deepFreeze<T>(value: T, seen: WeakSet<object> = new WeakSet()): T {
  if (typeof value !== 'object' || value === null || seen.has(value)) return value;
  seen.add(value);
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<string | symbol, unknown>)[key], seen);
  return value;
}
