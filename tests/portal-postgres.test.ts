/**
 * The portal's storage on a real PostgreSQL server (Debian's, started by tests/servers): the
 * Database adapter contract and the survey storage contract, the very suites that run on PGlite
 * in the unit tests (libs/db/src/pglite.test.ts, libs/survey/src/storage-pglite.test.ts).
 */
import { inject } from 'vitest';
import { openDatabase, PostgresDatabase } from '@dermagan/db';
import { databaseContractSuite } from '../libs/db/src/testing/contract-suite.ts';
import { storageContractSuite } from '../libs/survey/src/testing/storage-contract.ts';
import { createDatabase } from './servers/postgres.ts';

const admin = inject('serverEnv').DERMAGAN_TEST_POSTGRES_URL!;
const adapterUrl = await createDatabase(admin, 'contract_adapter');
const storageUrl = await createDatabase(admin, 'contract_storage');

databaseContractSuite('PostgreSQL', async () => new PostgresDatabase({ url: adapterUrl }));
storageContractSuite('PostgreSQL', () => openDatabase(storageUrl));
