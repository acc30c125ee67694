/**
 * Open the database a URL names and bring its schema up to date:
 * - `postgres://…` / `postgresql://…`: a PostgreSQL server (a deployment);
 * - `pglite:/abs/folder`: PGlite with its files in that folder (the embedded default);
 * - `pglite:memory`: PGlite in memory (tests).
 */
import { isAbsolute } from 'node:path';
import type { Database } from './database.ts';
import { DatabaseError } from './errors.ts';
import { migrate } from './migrate.ts';
import { PgliteDatabase } from './pglite.ts';
import { PostgresDatabase } from './postgres.ts';

export interface OpenOptions {
  /** Apply pending migrations (default true; the chart's portal runs with false and a migration Job does it). */
  migrate?: boolean;
}

export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Database> {
  let db: Database;
  if (/^postgres(ql)?:\/\//.test(url)) {
    db = new PostgresDatabase({ url });
  } else if (url === 'pglite:memory') {
    db = await new PgliteDatabase().ready();
  } else if (url.startsWith('pglite:') && isAbsolute(url.slice('pglite:'.length))) {
    db = await new PgliteDatabase(url.slice('pglite:'.length)).ready();
  } else {
    throw new DatabaseError(`database URL ${JSON.stringify(url)}: expected postgres://user:password@host:port/db, pglite:/absolute/folder or pglite:memory`, false);
  }
  try {
    if (options.migrate !== false) await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
