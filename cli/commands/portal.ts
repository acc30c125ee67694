/**
 * `dermagan portal`: the web portal on this machine (the embedded default) — its database in
 * PGlite under --data-dir, the artifact store in DIR/store (the layout `dermagan study --out DIR`
 * leaves, so a study's datasets and runs are there to survey and explore), an in-memory bus, and
 * images rendered in this process. Listens on 127.0.0.1 only and prints its URL; the first start
 * creates the operator account `admin` and prints its password once.
 */
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { loadConfig } from '@dermagan/runtime';
import { PORTAL_ENV, PortalConfig, startPortal } from '@dermagan/service-portal';
import { nonNegativeInt, UserError } from '../output.ts';
import { busFor, storeFor } from '../wiring.ts';

export const DEFAULT_PORTAL_PORT = 8470;

export function registerPortal(program: Command): void {
  program
    .command('portal')
    .description('Start the web portal (runs, latent explorer, privacy, expert survey) on 127.0.0.1')
    .option('--port <n>', `port to listen on (0 = any free port)`, nonNegativeInt('--port'), DEFAULT_PORTAL_PORT)
    .option('--data-dir <dir>', 'folder of the portal database (db/), the artifact store (store/) and scratch (work/)', join(homedir(), '.dermagan', 'portal'))
    .addOption(new Option('--bus <kind>', 'event bus: in-process, or Kafka (DERMAGAN_KAFKA_BROKERS) to watch services elsewhere').choices(['memory', 'kafka']).default('memory'))
    .addOption(new Option('--store <kind>', 'artifact store: DIR/store, or S3 (DERMAGAN_S3_*)').choices(['local', 's3']).default('local'))
    .action(async (flags: { port: number; dataDir: string; bus: 'memory' | 'kafka'; store: 'local' | 's3' }) => {
      if (flags.port > 65535) throw new UserError(`--port ${flags.port}: a port is 0–65535`);
      const dir = resolve(flags.dataDir);
      await mkdir(join(dir, 'db'), { recursive: true });
      const config = loadConfig(PortalConfig, {
        bindings: PORTAL_ENV,
        defaults: {
          service: 'portal',
          httpPort: flags.port,
          databaseUrl: `pglite:${join(dir, 'db')}`,
          workDir: join(dir, 'work'),
          logLevel: 'warn',
        },
      });
      const bus = busFor(flags.bus, 'dermagan-portal');
      await bus.start();
      const portal = await startPortal({
        config,
        host: '127.0.0.1',
        bus,
        store: storeFor(flags.store, dir),
        onAdminCreated: (username, password) => process.stderr.write(`first start: operator account "${username}", password ${password} (shown this once)\n`),
      });
      process.stderr.write(`portal: database ${config.databaseUrl}, store ${portal.deps.store.url}; Ctrl-C stops it\n`);
      process.stdout.write(`http://127.0.0.1:${portal.port}/\n`);
      await new Promise(() => {});
    });
}
