/**
 * The behaviour every Database adapter must have (database.ts), as one vitest suite: run it from
 * each adapter's test with a function that opens the same (empty or migrated) database again.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import type { Database } from '../database.ts';
import { MigrationError, UniqueViolationError } from '../errors.ts';
import { migrate, readMigrations } from '../migrate.ts';

export function databaseContractSuite(name: string, open: () => Promise<Database>): void {
  describe(`Database contract: ${name}`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await open();
      await db.exec('drop table if exists contract_t; create table contract_t (id int primary key, v text, j jsonb, at timestamptz, f double precision, b boolean)');
    });
    afterAll(async () => {
      await db.exec('drop table if exists contract_t');
      await db.close();
    });

    it('decodes int4, text, jsonb, timestamptz, float8 and bool the same way', async () => {
      const at = new Date('2026-01-02T03:04:05.678Z');
      await db.query('insert into contract_t values ($1, $2, $3, $4, $5, $6)', [1, 'é', JSON.stringify({ a: [1, 2] }), at, 0.5, true]);
      const { rows } = await db.query('select * from contract_t where id = $1', [1]);
      expect(rows).toEqual([{ id: 1, v: 'é', j: { a: [1, 2] }, at, f: 0.5, b: true }]);
      expect((await db.query('select count(*)::int as n from contract_t')).rows[0]).toEqual({ n: 1 });
    });

    it('commits a transaction that resolves and rolls back one that throws (rethrowing its error)', async () => {
      await db.transaction(async (tx) => {
        await tx.query('insert into contract_t (id, v) values (10, $1)', ['kept']);
      });
      const boom = new Error('boom');
      await expect(
        db.transaction(async (tx) => {
          await tx.query('insert into contract_t (id, v) values (11, $1)', ['lost']);
          throw boom;
        }),
      ).rejects.toBe(boom);
      const { rows } = await db.query('select id from contract_t where id in (10, 11) order by id');
      expect(rows).toEqual([{ id: 10 }]);
    });

    it('reports a duplicate key as UniqueViolationError, and `on conflict do nothing` returns no row', async () => {
      await db.query('insert into contract_t (id) values (20)');
      await expect(db.query('insert into contract_t (id) values (20)')).rejects.toBeInstanceOf(UniqueViolationError);
      const again = await db.query('insert into contract_t (id) values (20) on conflict do nothing returning id');
      expect(again.rows).toEqual([]);
    });

    it('a failed statement inside a transaction rolls the whole transaction back', async () => {
      await expect(
        db.transaction(async (tx) => {
          await tx.query('insert into contract_t (id) values (30)');
          await tx.query('insert into contract_t (id) values (30)');
        }),
      ).rejects.toBeInstanceOf(UniqueViolationError);
      expect((await db.query('select id from contract_t where id = 30')).rows).toEqual([]);
    });

    it('concurrent inserts of one key: exactly one wins', async () => {
      const tries = await Promise.allSettled(Array.from({ length: 8 }, () => db.transaction((tx) => tx.query('insert into contract_t (id) values (40) on conflict do nothing returning id'))));
      const won = tries.filter((t) => t.status === 'fulfilled' && t.value.rows.length === 1);
      expect(won).toHaveLength(1);
    });

    it('migrates once: a second run applies nothing, an edited migration is refused', async () => {
      const migrations = await readMigrations();
      const first = await migrate(db, migrations);
      const second = await migrate(db, migrations);
      expect(second.applied).toEqual([]);
      expect(second.current).toEqual(first.current);
      expect(second.current).toEqual(migrations.map((m) => m.version));
      const edited = migrations.map((m, i) => (i === 0 ? { ...m, sha256: '0'.repeat(64) } : m));
      await expect(migrate(db, edited)).rejects.toBeInstanceOf(MigrationError);
    });

    it('answers ping', async () => {
      expect(await db.ping()).toBe(true);
    });
  });
}
