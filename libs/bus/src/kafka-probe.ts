/**
 * Is a Kafka cluster reachable, and which topics does it have: what a site's self-check asks
 * before its first round. Connects with a short timeout and no retries, so a broker that is down
 * answers in seconds rather than after the bus's retry budget.
 */
import { Kafka, logLevel } from 'kafkajs';

/** The cluster's topic names; throws (with kafkajs' reason) when no broker answers within `timeoutMs`. */
export async function kafkaTopics(brokers: readonly string[], timeoutMs = 5000): Promise<string[]> {
  const kafka = new Kafka({ clientId: 'dermagan-check', brokers: [...brokers], connectionTimeout: timeoutMs, requestTimeout: timeoutMs, retry: { retries: 0 }, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  try {
    await admin.connect();
    return await admin.listTopics();
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
