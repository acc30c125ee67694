/**
 * The HTTP surface every service has: /healthz (the process is alive), /readyz (the bus and store
 * answer), /metrics (Prometheus). Services add their own API routes on the returned app.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import type { Registry } from 'prom-client';

export interface ReadinessProbe {
  name: string;
  check: () => Promise<boolean>;
}

export function createHttpApp(registry: Registry, probes: ReadinessProbe[]): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      probes.map(async (p) => {
        try {
          return [p.name, await withTimeout(p.check(), 2000)] as const;
        } catch {
          return [p.name, false] as const;
        }
      }),
    );
    const ready = results.every(([, ok]) => ok);
    res.status(ready ? 200 : 503).json({ ready, checks: Object.fromEntries(results) });
  });
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  });
  return app;
}

/** The address a command on someone's laptop listens on unless told otherwise: reachable from this machine only. */
export const LOOPBACK = '127.0.0.1';
/** Every interface: for a service in a pod, whose probes and Prometheus come over the pod network. */
export const ALL_INTERFACES = '0.0.0.0';

/** Serve `app` on `host:port` (port 0 = any free port). The host has no default: each caller decides who may reach it. */
export async function listen(app: Express, port: number, host: string): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve({ server, port: (server.address() as AddressInfo).port }));
    server.once('error', reject);
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | false> {
  return Promise.race([promise, new Promise<false>((resolve) => setTimeout(() => resolve(false), ms).unref())]);
}
