/**
 * The projector service: `projection.requested` → projections → `projection.completed`, and
 * `audit.requested` → the privacy audit → `audit.completed` (+ `privacy-audit.json` for the portal).
 */
import { join } from 'node:path';
import { BaseConfig, Counter, FolderCache, Gauge, loadConfig, startService } from '@dermagan/runtime';
import { loadTf } from '@dermagan/tf';
import { projectorSubscriptions } from './handlers.ts';

const config = loadConfig(BaseConfig, { defaults: { service: 'projector' } });
// The tfjs backend, chosen here from the config and handed to the handlers.
const backend = await loadTf(config.tfBackend);
await startService({
  config,
  subscriptions: ({ store, registry }) => {
    const imageSteps = new Counter({ name: 'dermagan_projection_image_steps_total', help: 'Projection optimisation steps taken, summed over images', registers: [registry] });
    const auc = new Gauge({ name: 'dermagan_audit_membership_auc', help: 'Membership-inference AUC of the latest audit per generator (0.5 = nothing learned)', labelNames: ['name'], registers: [registry] });
    const copies = new Gauge({ name: 'dermagan_audit_copies_flagged', help: 'Generated images flagged as likely copies of training images, latest audit per generator', labelNames: ['name'], registers: [registry] });
    return projectorSubscriptions({
      store,
      folders: new FolderCache(store, join(config.workDir, 'folders')),
      workDir: config.workDir,
      backend,
      onImageSteps: (n) => imageSteps.inc(n),
      onAudit: (name, n) => {
        auc.set({ name }, n.auc);
        copies.set({ name }, n.copies);
      },
    });
  },
});
