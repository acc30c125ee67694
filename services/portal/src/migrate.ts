/**
 * The chart's migration Job (DERMAGAN_ENTRY=migrate): bring the portal's PostgreSQL schema up to
 * date and exit — before the portal's pods start, which then run with DERMAGAN_PORTAL_MIGRATE=false.
 */
import { openDatabase } from '@dermagan/db';
import { loadConfig } from '@dermagan/runtime';
import { PORTAL_ENV, PortalConfig } from './config.ts';

const config = loadConfig(PortalConfig, { defaults: { service: 'portal-migrate' }, bindings: PORTAL_ENV });
const db = await openDatabase(config.databaseUrl, { migrate: true });
const { rows } = await db.query<{ version: string }>('select version from schema_migrations order by version');
process.stderr.write(`portal database ${db.url}: at ${rows.at(-1)?.version ?? '(none)'}\n`);
await db.close();
