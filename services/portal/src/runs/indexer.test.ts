/**
 * The run index from bus events: a training's ticks (with a snapshot's FID merged into its tick),
 * redelivered events changing nothing twice, status moving only forward, and the live stream a
 * browser reads (server-sent events) carrying the ticks as they are indexed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainingCompleted, TrainingProgress, TrainingRequested } from '@dermagan/contracts';
import { startTestPortal, type Client, type TestPortal } from '../testing/harness.ts';

let t: TestPortal;
let researcher: Client;
const key = { bucket: 'b', key: 'k', sha256: 'a'.repeat(64), size: 1 };
const folder = { bucket: 'b', prefix: 'p/', manifest: key };
const RUN = 'training:s1:ben-gan';

beforeAll(async () => {
  t = await startTestPortal();
  researcher = await t.as('researcher');
});
afterAll(() => t.close());

const progress = (kimg: number, stats: Record<string, number>) => TrainingProgress.create({ run: 'ben-gan', kimg, totalKimg: 1, stats }, { runid: 's1' });

describe('the run index', () => {
  it('indexes ticks once; a snapshot FID joins its tick; the status only moves forward', async () => {
    await t.bus.publish(TrainingRequested.create({ run: 'ben-gan', dataset: folder, config: { res: 16, kimg: 1 }, output: { bucket: 'b', prefix: 'r/' } }, { runid: 's1' }));
    const tick = progress(0.5, { lossG: 1.5, adaP: 0.1 });
    await t.bus.publish(tick);
    await t.portal.indexer.handle(tick as never); // a redelivery
    await t.bus.publish(progress(0.5, { fid5k: 123.4 }));
    await t.bus.publish(TrainingCompleted.create({ run: 'ben-gan', checkpoint: folder, kimg: 1, history: key, resumedFromKimg: null, wallSeconds: 3 }, { runid: 's1' }));
    await t.portal.indexer.handle(progress(0.75, { lossG: 1.2 }) as never); // a late tick after completion
    const detail = await researcher.get<{ run: { status: string; summary: Record<string, unknown> }; ticks: Array<{ kimg: number; stats: Record<string, number> }>; children: unknown[] }>(`/api/runs/${encodeURIComponent(RUN)}`);
    expect(detail.body.run.status).toBe('completed');
    expect(detail.body.ticks).toEqual([{ kimg: 0.5, stats: { lossG: 1.5, adaP: 0.1, fid5k: 123.4 } }, { kimg: 0.75, stats: { lossG: 1.2 } }]);
    const study = await researcher.get<{ children: Array<{ id: string }> }>('/api/runs/study%3As1');
    expect(study.body.children.map((c) => c.id)).toEqual([RUN]);
  });

  it('streams ticks to a browser as server-sent events, only for the run asked for', async () => {
    const cookie = (researcher as unknown as { cookies: Map<string, string> }).cookies;
    const controller = new AbortController();
    const res = await fetch(`${t.url}/api/events?run=${encodeURIComponent(RUN)}`, { headers: { cookie: [...cookie].map(([k, v]) => `${k}=${v}`).join('; ') }, signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const received = (async () => {
      while (!/event: tick\ndata: .*"kimg":0\.9/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    })();
    await t.bus.publish(TrainingProgress.create({ run: 'other', kimg: 0.1, totalKimg: 1, stats: {} }, { runid: 's1' }));
    await t.bus.publish(progress(0.9, { lossG: 1.1 }));
    await received;
    controller.abort();
    expect(text).not.toContain('training:s1:other');
    expect(text).toMatch(/event: tick\ndata: \{"runId":"training:s1:ben-gan","kimg":0\.9,"totalKimg":1,"stats":\{"lossG":1\.1\}\}/);
  });
});
