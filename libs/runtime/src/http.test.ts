import { afterEach, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import { createHttpApp, listen } from './http.ts';
import { createRegistry, busMetrics } from './metrics.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function serve(probes: Parameters<typeof createHttpApp>[1]) {
  const registry = createRegistry('test');
  const metrics = busMetrics(registry);
  metrics.handled.inc({ type: 'org.dermagan.x.y.v1' });
  const started = await listen(createHttpApp(registry, probes), 0, '127.0.0.1');
  server = started.server;
  return `http://127.0.0.1:${started.port}`;
}

describe('service HTTP surface', () => {
  it('answers /healthz while alive', async () => {
    const base = await serve([]);
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('is not ready until every probe answers', async () => {
    let storeUp = false;
    const base = await serve([
      { name: 'bus', check: async () => true },
      { name: 'store', check: async () => storeUp },
    ]);
    const down = await fetch(`${base}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ ready: false, checks: { bus: true, store: false } });
    storeUp = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('treats a probe that throws as not ready', async () => {
    const base = await serve([{ name: 'bus', check: async () => { throw new Error('broker down'); } }]);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
  });

  it('exposes Prometheus metrics with the dermagan_ prefix', async () => {
    const base = await serve([]);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('dermagan_events_handled_total{type="org.dermagan.x.y.v1",service="test"} 1');
    expect(text).toContain('dermagan_process_cpu_seconds_total');
  });
});
