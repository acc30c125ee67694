/**
 * Start the portal: open (and migrate) its database, make sure an operator exists, then run it as
 * a service — the HTTP app on the service's express app (/healthz /readyz /metrics come with it)
 * and the run indexer on the bus. main.ts (a deployment), `dermagan portal` (embedded) and the
 * tests all start it through here.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AccountError, countAccounts, createAccount, DEFAULT_THROTTLE, SignInThrottle } from '@dermagan/auth';
import type { EventBus } from '@dermagan/bus';
import { openDatabase, type Database } from '@dermagan/db';
import { FolderCache, startService, type RunningService } from '@dermagan/runtime';
import type { ObjectStore } from '@dermagan/store';
import { AnalysisFinder } from './analyses/find.ts';
import { mountPortal, type PortalApp } from './app.ts';
import type { PortalConfig } from './config.ts';
import type { PortalDeps } from './deps.ts';
import { CachedRenderer, HttpRenderer, InProcessRenderer, type Renderer } from './render/renderer.ts';
import { importDatasets } from './runs/import-datasets.ts';
import { RunIndexer } from './runs/indexer.ts';
import { LiveHub } from './runs/live.ts';

export const ADMIN_USERNAME = 'admin';
/** Failed sign-ins from one address before it waits (many people may share a hospital's address). */
export const ADDRESS_MAX_FAILURES = 50;

export interface PortalOptions {
  config: PortalConfig;
  /** Share a bus / store (the embedded setting runs other services on the same ones). */
  bus?: EventBus;
  store?: ObjectStore;
  /** Default: the generator service when `generatorUrl` is set, else libs/gan in this process. */
  renderer?: Renderer;
  handleSignals?: boolean;
  /** Interface to listen on (default all; the embedded portal: 127.0.0.1). */
  host?: string;
  /** Told the first operator's password when this start created it (shown once, never stored in clear). */
  onAdminCreated?: (username: string, password: string) => void;
}

export interface RunningPortal {
  service: RunningService;
  deps: PortalDeps;
  app: PortalApp;
  indexer: RunIndexer;
  port: number;
  stop(): Promise<void>;
}

export async function startPortal(options: PortalOptions): Promise<RunningPortal> {
  const { config } = options;
  const db = await openDatabase(config.databaseUrl, { migrate: config.migrate });
  try {
    await ensureOperator(db, config.adminPassword, options.onAdminCreated);
  } catch (err) {
    await db.close();
    throw err;
  }
  let deps: PortalDeps | undefined;
  let app: PortalApp | undefined;
  let indexer: RunIndexer | undefined;
  let inProcess: InProcessRenderer | undefined;
  const service = await startService({
    config,
    handleSignals: options.handleSignals ?? true,
    ...(options.host ? { host: options.host } : {}),
    ...(options.bus ? { bus: options.bus } : {}),
    ...(options.store ? { store: options.store } : {}),
    // Sign-in, sessions and the survey live in the database: without it the portal is not ready.
    readiness: [{ name: 'database', check: () => db.ping() }],
    routes: (expressApp, ctx) => {
      const folders = new FolderCache(ctx.store, join(config.workDir, 'folders'));
      const renderer =
        options.renderer ??
        new CachedRenderer(config.generatorUrl ? new HttpRenderer(config.generatorUrl) : (inProcess = new InProcessRenderer((ref) => folders.fetch(ref))));
      deps = {
        db,
        store: ctx.store,
        bucket: config.bucket,
        folders,
        renderer,
        finder: new AnalysisFinder(ctx.store, config.bucket),
        live: new LiveHub(),
        logger: ctx.logger,
        sessions: { absoluteS: config.sessionAbsoluteS, idleS: config.sessionIdleS },
        throttle: { user: new SignInThrottle(), address: new SignInThrottle({ ...DEFAULT_THROTTLE, maxFailures: ADDRESS_MAX_FAILURES }) },
        secureCookies: config.secureCookies,
        invitationTtlS: config.invitationTtlS,
        surveyDisplaySize: config.surveyDisplaySize,
      };
      app = mountPortal(expressApp, deps);
    },
    subscriptions: async (ctx) => {
      const found = await importDatasets(db, ctx.store, config.bucket);
      if (found > 0) ctx.logger.info({ datasets: found }, 'indexed the datasets already in the store');
      indexer = new RunIndexer({
        db,
        store: ctx.store,
        bucket: config.bucket,
        live: deps!.live,
        renderer: deps!.renderer,
        onAnalysis: () => deps!.finder.invalidate(),
        onError: (err, what) => ctx.logger.warn({ err }, what),
      });
      return [indexer.subscription()];
    },
    stopping: async () => {
      await indexer?.idle();
    },
  });
  let stopped: Promise<void> | undefined;
  return {
    service,
    deps: deps!,
    app: app!,
    indexer: indexer!,
    port: service.port,
    stop: () =>
      (stopped ??= (async () => {
        await service.stop();
        await inProcess?.dispose();
        await closeQuietly(db);
      })()),
  };
}

/** The first operator, `admin`, when the database has no account at all. */
async function ensureOperator(db: Database, password: string | undefined, onCreated: PortalOptions['onAdminCreated']): Promise<void> {
  if ((await countAccounts(db)) > 0) return;
  const chosen = password ?? randomBytes(12).toString('base64url');
  try {
    await createAccount(db, { username: ADMIN_USERNAME, displayName: 'Operator', role: 'operator', password: chosen });
    onCreated?.(ADMIN_USERNAME, chosen);
  } catch (err) {
    // Another replica made it first.
    if (!(err instanceof AccountError)) throw err;
  }
}

async function closeQuietly(db: Database): Promise<void> {
  await db.close().catch(() => {});
}
