/**
 * Run one service: config → logger, metrics, bus, store → HTTP (/healthz /readyz /metrics) →
 * subscriptions → graceful shutdown. A service's main.ts is a call to this with its handlers;
 * its handlers.ts holds the work. `startService` returns a handle so tests run services in-process.
 */
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { EventBus, Subscription } from '@dermagan/bus';
import type { ObjectStore } from '@dermagan/store';
import type { BaseConfig } from './config.ts';
import { ALL_INTERFACES, createHttpApp, listen, type ReadinessProbe } from './http.ts';
import { createLogger } from './logger.ts';
import { busMetrics, createRegistry } from './metrics.ts';
import { onShutdown } from './shutdown.ts';
import { busFromConfig, storeFromConfig } from './wiring.ts';

/** A subscription of any event data type (each one is typed where it is built). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySubscription = Subscription<any>;

/** What a service's handlers get: everything they may touch, nothing global. */
export interface ServiceContext {
  config: BaseConfig;
  logger: Logger;
  registry: Registry;
  bus: EventBus;
  store: ObjectStore;
}

export interface ServiceDefinition<C extends BaseConfig> {
  config: C;
  /** Subscriptions built from the context (handlers close over it). */
  subscriptions: (ctx: ServiceContext & { config: C }) => AnySubscription[] | Promise<AnySubscription[]>;
  /** Runs once the subscriptions are in place (e.g. announce the service to the others). */
  started?: (ctx: ServiceContext & { config: C }) => Promise<void>;
  /** Runs first on shutdown, while the bus is still open (e.g. tell the others this service leaves). */
  stopping?: (ctx: ServiceContext & { config: C }) => Promise<void>;
  /** What else /readyz checks besides the bus and the store (e.g. the portal's database). */
  readiness?: ReadinessProbe[];
  /** Extra HTTP routes (the service's own API). */
  routes?: (app: Express, ctx: ServiceContext & { config: C }) => void;
  /** Give an existing bus/store (the embedded setting shares one of each across services). */
  bus?: EventBus;
  store?: ObjectStore;
  /** Install SIGTERM/SIGINT handlers (true for a real process, false in tests). */
  handleSignals?: boolean;
  /** Interface to listen on (default 0.0.0.0; the embedded portal listens on 127.0.0.1 only). */
  host?: string;
}

export interface RunningService {
  ctx: ServiceContext;
  port: number;
  /** Graceful stop: the same path SIGTERM takes. */
  stop: () => Promise<void>;
}

export async function startService<C extends BaseConfig>(def: ServiceDefinition<C>): Promise<RunningService> {
  const { config } = def;
  const logger = createLogger(config.service, config.logLevel);
  const registry = createRegistry(config.service);
  const ownsBus = def.bus === undefined;
  const ownsStore = def.store === undefined;
  const metrics = busMetrics(registry);
  const bus = def.bus ?? busFromConfig(config, logger, metrics);
  const store = def.store ?? storeFromConfig(config);
  const ctx = { config, logger, registry, bus, store };

  const app = createHttpApp(registry, [
    { name: 'bus', check: () => bus.ping() },
    { name: 'store', check: () => store.ping() },
    ...(def.readiness ?? []),
  ]);
  def.routes?.(app, ctx);
  // A service in a pod listens on every interface: the kubelet's probes and Prometheus come over the pod network.
  const { server, port } = await listen(app, config.httpPort, def.host ?? ALL_INTERFACES);
  logger.info({ port }, 'http listening (/healthz /readyz /metrics)');

  try {
    await store.ensureBucket(config.bucket);
  } catch (err) {
    logger.warn({ err, store: store.url, bucket: config.bucket }, 'store not reachable at start; /readyz stays false until it is');
  }
  if (ownsBus) await bus.start();
  for (const subscription of await def.subscriptions(ctx)) {
    await bus.subscribe(subscription);
    // Every consumed type's counters exist from the start at 0: a dashboard or an alert's increase()
    // sees "none yet" rather than "no such series".
    for (const type of subscription.types) for (const c of [metrics.handled, metrics.retried, metrics.deadLettered]) c.inc({ type }, 0);
    logger.info({ group: subscription.group, types: subscription.types }, 'subscribed');
  }

  await def.started?.(ctx);

  const steps = [
    ...(def.stopping ? [{ name: 'stopping', run: () => def.stopping!(ctx) }] : []),
    ...(ownsBus ? [{ name: 'bus', run: () => bus.close() }] : []),
    { name: 'http', run: () => new Promise<void>((resolve) => server.close(() => resolve())) },
  ];
  void ownsStore;
  const shutdown = def.handleSignals === false
    ? { trigger: async () => { for (const s of steps) await s.run(); } }
    : onShutdown(logger, steps, config.shutdownGraceS);
  return { ctx, port, stop: () => shutdown.trigger('stop') };
}
