/**
 * Schema migrations: the numbered `.sql` files of libs/db/migrations, applied in order, each in its
 * own transaction, recorded in `schema_migrations` with its SHA-256. Both adapters run the same
 * files. Concurrent migrators (two portal replicas, the chart's migration Job) serialise on a
 * transaction-scoped advisory lock, so each file is applied exactly once. A file changed after it
 * was applied is refused: migrations are append-only.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.ts';
import { MigrationError } from './errors.ts';

/** The folder of the migration files. */
export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations');

/** Advisory lock key shared by every migrator of this schema ("dermagan" in ASCII, truncated to int4). */
const LOCK_KEY = 0x64726d67;

export interface Migration {
  /** File name without `.sql`, e.g. `0001_portal`; the order is the name's. */
  version: string;
  sql: string;
  sha256: string;
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  return Promise.all(
    files.map(async (file) => {
      const sql = await readFile(join(dir, file), 'utf8');
      return { version: file.replace(/\.sql$/, ''), sql, sha256: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

export interface MigrateResult {
  /** Versions applied by this call (empty when the schema was current). */
  applied: string[];
  /** Every version the database now has. */
  current: string[];
}

export async function migrate(db: Database, migrations?: Migration[]): Promise<MigrateResult> {
  const all = migrations ?? (await readMigrations());
  await db.exec(`create table if not exists schema_migrations (
    version text primary key, sha256 text not null, applied_at timestamptz not null default now())`).catch(async (err) => {
    // Two migrators creating the table at once: the loser sees a duplicate; the table exists either way.
    if (!(await tableExists(db))) throw err;
  });
  const applied: string[] = [];
  for (const m of all) {
    const done = await db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [LOCK_KEY]);
      const { rows } = await tx.query<{ sha256: string }>('select sha256 from schema_migrations where version = $1', [m.version]);
      if (rows[0]) {
        if (rows[0].sha256 !== m.sha256) {
          throw new MigrationError(
            `migration ${m.version} was changed after it was applied (sha256 ${m.sha256.slice(0, 12)}… ≠ applied ${rows[0].sha256.slice(0, 12)}…); ` +
              `add a new migration file instead of editing an applied one`,
          );
        }
        return false;
      }
      try {
        await tx.exec(m.sql);
      } catch (err) {
        throw new MigrationError(`migration ${m.version} failed: ${(err as Error).message}`, { cause: err });
      }
      await tx.query('insert into schema_migrations (version, sha256) values ($1, $2)', [m.version, m.sha256]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  const { rows } = await db.query<{ version: string }>('select version from schema_migrations order by version');
  const current = rows.map((r) => r.version);
  const unknown = current.filter((v) => !all.some((m) => m.version === v));
  if (unknown.length > 0) {
    throw new MigrationError(`the database has migrations this build does not know (${unknown.join(', ')}): it was migrated by a newer dermagan; run that version`);
  }
  return { applied, current };
}

async function tableExists(db: Database): Promise<boolean> {
  const { rows } = await db.query<{ t: string | null }>("select to_regclass('schema_migrations')::text as t");
  return rows[0]?.t != null;
}
