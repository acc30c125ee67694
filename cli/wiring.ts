/**
 * The bus and store a CLI run uses (`--bus`, `--store`): in-memory and a local folder under
 * --out by default, or Kafka and S3 from the DERMAGAN_KAFKA_BROKERS / DERMAGAN_S3_* variables.
 */
import { join, resolve } from 'node:path';
import { KafkaBus, MemoryBus, type EventBus } from '@dermagan/bus';
import { LocalStore, s3StoreFromEnv, type ObjectStore } from '@dermagan/store';
import { UserError } from './output.ts';

/** `--bus memory|kafka`; `clientId` names this run on the broker. */
export function busFor(kind: 'memory' | 'kafka', clientId: string): EventBus {
  if (kind === 'memory') return new MemoryBus();
  const brokers = (process.env.DERMAGAN_KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
  if (brokers.length === 0) throw new UserError('--bus kafka needs DERMAGAN_KAFKA_BROKERS=host:port[,host:port]');
  return new KafkaBus({ brokers, clientId });
}

/** `--store` local folder (`<out>/store`) or `s3`. */
export function storeFor(kind: 'local' | 's3', out: string): ObjectStore {
  if (kind !== 's3') return new LocalStore({ root: join(out, 'store') });
  const store = s3StoreFromEnv();
  if (!store) throw new UserError('the S3 store needs DERMAGAN_S3_ENDPOINT (and DERMAGAN_S3_ACCESS_KEY, DERMAGAN_S3_SECRET_KEY; DERMAGAN_S3_SESSION_TOKEN for temporary credentials)');
  return store;
}

/** `--store s3` (DERMAGAN_S3_*) or `--store <folder>` (a local store there): where a command's records live. */
export function storeAt(spec: string): ObjectStore {
  return spec === 's3' ? storeFor('s3', '') : new LocalStore({ root: resolve(spec) });
}
