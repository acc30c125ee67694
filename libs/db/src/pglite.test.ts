import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { PgliteDatabase } from './pglite.ts';
import { databaseContractSuite } from './testing/contract-suite.ts';

const dir = await mkdtemp(join(tmpdir(), 'dermagan-pglite-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

databaseContractSuite('PGlite (folder)', () => new PgliteDatabase(join(dir, 'db')).ready());
