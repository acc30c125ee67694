/**
 * The portal service: the web app and JSON API (runs, federations, explorer, privacy, the expert
 * survey) over its database (PostgreSQL in a deployment), the bus and the store.
 */
import { loadConfig } from '@dermagan/runtime';
import { PORTAL_ENV, PortalConfig } from './config.ts';
import { startPortal } from './portal.ts';

const config = loadConfig(PortalConfig, { defaults: { service: 'portal' }, bindings: PORTAL_ENV });
await startPortal({
  config,
  onAdminCreated: (username, password) =>
    process.stderr.write(`portal: created the first operator account "${username}" with password ${password} (shown once; set DERMAGAN_PORTAL_ADMIN_PASSWORD to choose it)\n`),
});
