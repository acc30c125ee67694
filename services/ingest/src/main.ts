/**
 * The ingest service: `ingest.requested` → dataset folder in the store → `dataset.ingested`.
 *   DERMAGAN_BUS=kafka DERMAGAN_KAFKA_BROKERS=… DERMAGAN_STORE=http://… node --import tsx services/ingest/src/main.ts
 */
import { BaseConfig, loadConfig, startService } from '@dermagan/runtime';
import { ingestSubscription } from './handlers.ts';

const config = loadConfig(BaseConfig, { defaults: { service: 'ingest' } });
await startService({
  config,
  subscriptions: ({ store, logger }) => [
    ingestSubscription({
      store,
      onProgress: (event, p) => logger.debug({ id: event.id, ...p }, 'ingest progress'),
    }),
  ],
});
