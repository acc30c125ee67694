/**
 * The embedded adapter: PGlite, PostgreSQL compiled to wasm, in this process, its data in a folder
 * (or in memory for tests). One connection: PGlite serialises statements itself, and a
 * transaction holds it until it ends, so concurrent callers queue rather than interleave.
 */
import { PGlite } from '@electric-sql/pglite';
import type { Database, QueryResult, Row, Transaction } from './database.ts';
import { classifyError } from './errors.ts';

export class PgliteDatabase implements Database {
  readonly kind = 'pglite';
  readonly url: string;
  private readonly db: PGlite;

  /** `dataDir`: an absolute folder (created when missing); undefined = in memory. */
  constructor(dataDir?: string) {
    this.url = dataDir ? `pglite:${dataDir}` : 'pglite:memory';
    this.db = dataDir ? new PGlite(dataDir) : new PGlite();
  }

  async ready(): Promise<this> {
    await this.db.waitReady;
    return this;
  }

  async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
    return run<T>(this.db, sql, params, this.url);
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    // Errors of `fn` (the caller's own, or its queries', already classified) pass through as they are.
    let fromFn: unknown;
    try {
      return await this.db.transaction(async (t) => {
        try {
          return await fn({
            query: (sql, params = []) => run(t, sql, params, this.url),
            exec: async (sql) => {
              try {
                await t.exec(sql);
              } catch (err) {
                throw classifyError(err, this.url);
              }
            },
          });
        } catch (err) {
          fromFn = err;
          throw err;
        }
      });
    } catch (err) {
      throw err === fromFn ? err : classifyError(err, this.url);
    }
  }

  async exec(sql: string): Promise<void> {
    try {
      await this.db.exec(sql);
    } catch (err) {
      throw classifyError(err, this.url);
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.db.query('select 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}

interface PgliteLike {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }>;
}

async function run<T extends Row>(db: PgliteLike, sql: string, params: readonly unknown[], where: string): Promise<QueryResult<T>> {
  try {
    const result = await db.query<T>(sql, params as unknown[]);
    return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
  } catch (err) {
    throw classifyError(err, where);
  }
}
