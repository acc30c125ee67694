/**
 * Prometheus metrics: one registry per process, default Node metrics prefixed `dermagan_`, and
 * the project's naming (`dermagan_<thing>_<unit>`, counters end in `_total`).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export { Counter, Gauge, Histogram, Registry };

export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'dermagan_' });
  return registry;
}

/** The bus's observable moments as series (every service has them). */
export function busMetrics(registry: Registry) {
  const labelNames = ['type'] as const;
  return {
    handled: new Counter({ name: 'dermagan_events_handled_total', help: 'Events handled successfully', labelNames, registers: [registry] }),
    retried: new Counter({ name: 'dermagan_events_retried_total', help: 'Handler attempts that failed and were retried', labelNames, registers: [registry] }),
    deadLettered: new Counter({ name: 'dermagan_events_dead_lettered_total', help: 'Events sent to the dead-letter topic', labelNames, registers: [registry] }),
    published: new Counter({ name: 'dermagan_events_published_total', help: 'Events published', labelNames, registers: [registry] }),
    duration: new Histogram({
      name: 'dermagan_event_handler_duration_seconds',
      help: 'Handler wall time',
      labelNames,
      buckets: [0.01, 0.1, 1, 10, 60, 600, 3600],
      registers: [registry],
    }),
  };
}
