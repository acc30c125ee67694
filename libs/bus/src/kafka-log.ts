/**
 * How a kafkajs log entry reaches the bus logger. kafkajs logs every error response at ERROR
 * before its own retry, so a fresh broker's "group coordinator is not available" would read as a
 * failure; the broker states it retries through are warnings here. What still fails after the
 * retries reaches the caller as an error anyway.
 */
import { logLevel } from 'kafkajs';

/** Kafka protocol errors kafkajs retries on its own (cluster start-up, leader elections, rebalances). */
const TRANSIENT = [
  'The group coordinator is not available',
  "The coordinator is loading and hence can't process requests",
  'This is not the correct coordinator for this group',
  'There is no leader for this topic-partition as we are in the middle of a leadership election',
  'This server does not host this topic-partition',
  'The group is rebalancing, so a rejoin is needed',
];

/** 'error' or 'warn' for a kafkajs entry of `level` whose details carry `error` (its message). */
export function kafkaLogSeverity(level: number, details: Record<string, unknown>): 'error' | 'warn' {
  if (level > logLevel.ERROR) return 'warn';
  const error = typeof details.error === 'string' ? details.error : '';
  return TRANSIENT.some((t) => error.startsWith(t)) ? 'warn' : 'error';
}
