/**
 * The PostgreSQL adapter (a deployment's database): a node-postgres pool. timestamptz comes back
 * as Date, jsonb as objects; int8 and numeric are decoded to numbers only where the schema uses
 * them for counts (the schema keeps ids text/uuid and counts int4, so nothing is lost).
 */
import pg from 'pg';
import type { Database, QueryResult, Row, Transaction } from './database.ts';
import { classifyError } from './errors.ts';

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database` (the chart's `portal.database.url`). */
  url: string;
  /** Pool size (default 10). */
  max?: number;
  /** Milliseconds to wait for a connection before failing (default 10 000). */
  connectionTimeoutMs?: number;
}

export class PostgresDatabase implements Database {
  readonly kind = 'postgres';
  readonly url: string;
  private readonly pool: pg.Pool;

  constructor(options: PostgresOptions) {
    this.url = redact(options.url);
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.max ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.pool.on('error', () => {});
  }

  async query<T extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
    return run<T>(this.pool, sql, params, this.url);
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw classifyError(err, this.url);
    }
    const tx: Transaction = {
      query: (sql, params = []) => run(client, sql, params, this.url),
      exec: async (sql) => {
        try {
          await client.query(sql);
        } catch (err) {
          throw classifyError(err, this.url);
        }
      },
    };
    try {
      await client.query('begin');
      const result = await fn(tx);
      await client.query('commit');
      return result;
    } catch (err) {
      await client.query('rollback').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async exec(sql: string): Promise<void> {
    try {
      await this.pool.query(sql);
    } catch (err) {
      throw classifyError(err, this.url);
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.pool.query('select 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

async function run<T extends Row>(client: pg.Pool | pg.PoolClient, sql: string, params: readonly unknown[], where: string): Promise<QueryResult<T>> {
  try {
    const result = await client.query(sql, params as unknown[]);
    return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
  } catch (err) {
    throw classifyError(err, where);
  }
}

/** The URL without its password, for logs and errors. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}
