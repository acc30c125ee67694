/**
 * The metrics service: `evaluation.requested` → scores with provenance → `evaluation.completed`;
 * `ppl.requested` → a generator's PPL → `ppl.completed`.
 * Weight-backed extractors get their model from DERMAGAN_MODEL_<ID> (e.g.
 * DERMAGAN_MODEL_INCEPTION_V3_POOL3=file:///models/inception/model.json).
 */
import { join } from 'node:path';
import { BaseConfig, FolderCache, Gauge, loadConfig, startService } from '@dermagan/runtime';
import { EXTRACTOR_IDS } from '@dermagan/metrics';
import { loadTf } from '@dermagan/tf';
import { metricsSubscription } from './handlers.ts';
import { pplSubscription } from './ppl-handler.ts';

const config = loadConfig(BaseConfig, { defaults: { service: 'metrics' } });
// The tfjs backend, chosen here from the config and handed to the handlers.
const backend = await loadTf(config.tfBackend);
const modelUris = Object.fromEntries(
  EXTRACTOR_IDS.flatMap((id) => {
    const uri = process.env[`DERMAGAN_MODEL_${id.toUpperCase().replace(/-/g, '_')}`];
    return uri ? [[id, uri]] : [];
  }),
);
await startService({
  config,
  subscriptions: ({ store, registry }) => {
    const folders = new FolderCache(store, join(config.workDir, 'folders'));
    const score = new Gauge({ name: 'dermagan_evaluation_score', help: 'Latest score per evaluated model and metric (fid, kid, precision, …)', labelNames: ['name', 'metric'], registers: [registry] });
    return [
      metricsSubscription({
        folders,
        backend,
        modelUris,
        onScores: (name, scores) => Object.entries(scores).forEach(([metric, value]) => score.set({ name, metric }, value)),
      }),
      pplSubscription({ store, folders, backend }),
    ];
  },
});
