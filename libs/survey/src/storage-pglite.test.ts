import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openDatabase } from '@dermagan/db';
import { storageContractSuite } from './testing/storage-contract.ts';

// The same suite runs against a real PostgreSQL server in tests/portal-postgres.test.ts.
const dir = await mkdtemp(join(tmpdir(), 'dermagan-survey-pglite-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

storageContractSuite('PGlite', () => openDatabase(`pglite:${join(dir, 'db')}`));
