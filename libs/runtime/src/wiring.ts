/**
 * Build the bus and the store a config names, and turn the bus's moments into Prometheus series.
 */
import { KafkaBus, MemoryBus, type EventBus } from '@dermagan/bus';
import { storeFromUrl, type ObjectStore } from '@dermagan/store';
import type { Logger } from 'pino';
import type { BaseConfig } from './config.ts';
import type { busMetrics } from './metrics.ts';

export function busFromConfig(config: BaseConfig, logger: Logger, metrics?: ReturnType<typeof busMetrics>): EventBus {
  const bus =
    config.bus === 'kafka'
      ? new KafkaBus({
          brokers: config.kafkaBrokers,
          clientId: `dermagan-${config.service}`,
          logger: {
            warn: (message, details) => logger.warn(details ?? {}, message),
            error: (message, details) => logger.error(details ?? {}, message),
          },
        })
      : new MemoryBus();
  if (metrics) observeBus(bus, logger, metrics);
  return bus;
}

/** Count the bus's moments and log the ones an operator must see (dead letters, retries). */
export function observeBus(bus: EventBus, logger: Logger, metrics: ReturnType<typeof busMetrics>): void {
  bus.moments.on('published', (m) => metrics.published.inc({ type: m.type }));
  bus.moments.on('handled', (m) => {
    metrics.handled.inc({ type: m.type });
    metrics.duration.observe({ type: m.type }, m.durationMs / 1000);
  });
  bus.moments.on('retried', (m) => {
    metrics.retried.inc({ type: m.type });
    logger.warn({ type: m.type, id: m.id, attempt: m.attempt, delayMs: m.delayMs, error: m.error }, 'handler failed; retrying');
  });
  bus.moments.on('deadLettered', (m) => {
    metrics.deadLettered.inc({ type: m.type });
    logger.error({ type: m.type, id: m.id, topic: m.topic, reason: m.reason, attempts: m.attempts }, 'event dead-lettered');
  });
}

export function storeFromConfig(config: BaseConfig): ObjectStore {
  const credentials =
    config.s3AccessKey !== undefined && config.s3SecretKey !== undefined
      ? { accessKey: config.s3AccessKey, secretKey: config.s3SecretKey, ...(config.s3SessionToken ? { sessionToken: config.s3SessionToken } : {}) }
      : undefined;
  return storeFromUrl(config.store, credentials);
}
