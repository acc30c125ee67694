/**
 * One SQL database, two adapters: PostgreSQL (node-postgres pool) in a deployment and PGlite (an
 * embedded, in-process Postgres compiled to wasm) on the embedded default. Both speak the same
 * PostgreSQL dialect, so there is one schema and one set of migrations (libs/db/migrations).
 *
 * Guarantees both adapters keep (one contract suite checks both, testing/contract-suite.ts):
 * - `query` runs one statement with `$1…` parameters; rows come back with int4/float8/text/bool/
 *   jsonb/timestamptz decoded the same way (numbers, strings, booleans, objects, Date);
 * - `transaction` commits when its function resolves and rolls back when it throws;
 * - a unique or primary-key violation surfaces as UniqueViolationError (callers use
 *   `on conflict` instead where a duplicate is expected).
 */

/** A row as the adapters return it. */
export type Row = Record<string, unknown>;

export interface QueryResult<T extends Row = Row> {
  rows: T[];
  /** Rows inserted, updated or deleted (or returned, for a select). */
  rowCount: number;
}

/** What a query needs: the pool itself or one transaction's connection. */
export interface Queryable {
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
}

/** One transaction's connection: statements, and several statements at once (migrations). */
export interface Transaction extends Queryable {
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Where it is, for logs (`postgres://host:port/db` without the password, or `pglite:<dir>`). */
  readonly url: string;
  /** Run `fn` in one transaction: commit on success, roll back when it throws (and rethrow). */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Several statements separated by `;`, no parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** True when the database answers (readiness). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
