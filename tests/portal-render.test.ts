/**
 * The portal's images, both ways the Renderer seam offers: libs/gan in the portal's process and
 * the generator service's `POST /render` (its real express route), which must give the very same
 * PNG for the same request. Then the latent explorer and the privacy view through the portal's
 * API: random directions until the explainer leaves `directions.json`, the explainer's directions
 * after; privacy audits found in the store, a malformed one ignored, images only as an audit
 * names them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointSaved, ExplanationCompleted, LATENT_DIRECTIONS_FORMAT, TrainingRequested, type FolderRef, type PrivacyAudit } from '@dermagan/contracts';
import { CheckpointRenderer, FolderCheckpointSink, META_FILE, preset, inMemoryData, Rng, Trainer } from '@dermagan/gan';
import { FolderCache, listen, publishFolder } from '@dermagan/runtime';
import { LocalStore } from '@dermagan/store';
import { loadTf } from '@dermagan/tf';
import { HttpRenderer, InProcessRenderer } from '@dermagan/service-portal';
import { mountRender } from '@dermagan/service-generator';
import { startTestPortal, type Client, type TestPortal } from '../services/portal/src/testing/harness.ts';

let dir: string;
let store: LocalStore;
let checkpoint: FolderRef;
let wDim: number;
let numWs: number;
let generatorUrl: string;
let closeGenerator: () => Promise<void>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'portal-render-'));
  store = new LocalStore({ root: join(dir, 'store') });
  // A tiny conditional generator, a few steps trained, published as a checkpoint folder.
  const { tf } = await loadTf();
  const rng = new Rng(1);
  const data = inMemoryData(new Uint8Array(8 * 16 * 16 * 3).map(() => rng.int(0, 256)), new Int32Array(8).map((_, i) => i % 2), 16, ['benign', 'malignant']);
  const config = preset('test', 16);
  config.network.cDim = 2;
  const trainer = new Trainer(tf, data, { config, seed: 3, augment: { pipe: 'noaug', target: undefined, p: 0, interval: 4, kimg: 500 }, mirror: false });
  trainer.stepOnce();
  await trainer.save(new FolderCheckpointSink(join(dir, 'ckpt')));
  wDim = config.network.wDim;
  numWs = trainer.Gema.numWs;
  trainer.dispose();
  checkpoint = await publishFolder(store, join(dir, 'ckpt'), { bucket: 'dermagan', prefix: 'runs/s/gans/tiny/checkpoints/1/' }, META_FILE);

  // The generator service's render route, on its own express app and port.
  const app = express();
  const folders = new FolderCache(store, join(dir, 'generator-folders'));
  mountRender(app, async () => new CheckpointRenderer({ tf, fetchCheckpoint: (ref) => folders.fetch(ref) }));
  const { server, port } = await listen(app, 0, '127.0.0.1');
  generatorUrl = `http://127.0.0.1:${port}`;
  closeGenerator = () => new Promise((r) => server.close(() => r()));
}, 120_000);

afterAll(async () => {
  await closeGenerator?.();
  await rm(dir, { recursive: true, force: true });
});

describe('the Renderer seam', () => {
  it('in process and through the generator service: the same PNG for the same request', async () => {
    const request = { checkpoint, seeds: [0, 1, 2], truncation: 0.7, classIndex: 1, edits: [{ direction: Array.from({ length: wDim }, (_, k) => (k === 3 ? 1 : 0)), amount: 2, layers: { start: 0, end: 1 } }], columns: 3, scale: 2 };
    const local = new InProcessRenderer((ref) => new FolderCache(store, join(dir, 'portal-folders')).fetch(ref));
    const [a, b] = [await local.render(request), await new HttpRenderer(generatorUrl).render(request)];
    await local.dispose();
    expect(Buffer.compare(a, b)).toBe(0);
    const meta = await sharp(a).metadata();
    expect([meta.width, meta.height]).toEqual([(3 * 16 + 2 * 2) * 2, 16 * 2]);
  });

  it('the generator refuses a request it cannot render, with the reason', async () => {
    const bad = new HttpRenderer(generatorUrl).render({ checkpoint, seeds: [0], edits: [{ direction: [1, 2, 3], amount: 1 }] });
    await expect(bad).rejects.toThrow(/refused to render \(422\): render: a direction has 3 numbers; this generator's w has/);
    await expect(new HttpRenderer('http://127.0.0.1:9').render({ checkpoint, seeds: [0] })).rejects.toMatchObject({ retriable: true });
  });
});

describe('the latent explorer and the privacy view through the API', () => {
  let t: TestPortal;
  let researcher: Client;
  const run = 'training:s:tiny';

  beforeAll(async () => {
    t = await startTestPortal({ store });
    researcher = await t.as('researcher');
    await t.bus.publish(TrainingRequested.create({ run: 'tiny', dataset: checkpoint, config: { res: 16, kimg: 1 }, output: { bucket: 'dermagan', prefix: 'runs/s/gans/tiny/' } }, { runid: 's' }));
    await t.bus.publish(CheckpointSaved.create({ run: 'tiny', checkpoint, kimg: 0.004 }, { runid: 's' }));
    // The grid is rendered in the background once the snapshot is indexed.
    for (let i = 0; i < 100 && (await t.portal.deps.db.query("select 1 from snapshots where grid is not null or grid_error is not null")).rows.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 200));
      await t.portal.indexer.idle();
    }
  }, 120_000);
  afterAll(() => t?.close());

  it('a snapshot got its sample grid', async () => {
    const grid = await researcher.get(`/api/runs/${encodeURIComponent(run)}/snapshots/0.004/grid.png`);
    expect([grid.status, grid.headers.get('content-type'), grid.body]).toEqual([200, 'image/png', {}]);
    const meta = await sharp(grid.bytes).metadata();
    expect([meta.width, meta.height]).toEqual([(8 * 16 + 7 * 2) * 4, (2 * 16 + 2) * 4]);
  });

  it('offers random directions until the explainer has run, then the explainer’s', async () => {
    expect((await researcher.get<{ generators: Array<{ runId: string }> }>('/api/explorer/generators')).body.generators.map((g) => g.runId)).toEqual([run]);
    const before = await researcher.get<{ directions: Array<{ method: string; label: string }>; conditional: boolean; labels: string[] }>(`/api/explorer/directions?run=${encodeURIComponent(run)}`);
    expect(before.body.directions.every((d) => d.method === 'random')).toBe(true);
    expect(before.body).toMatchObject({ conditional: true, labels: ['benign', 'malignant'] });

    const unit = (k: number) => Array.from({ length: wDim }, (_, i) => (i === k ? 1 : 0));
    await store.put('dermagan', 'explanations/s/tiny/directions.json', JSON.stringify({
      format: LATENT_DIRECTIONS_FORMAT, generator: checkpoint, wDim, numWs,
      sets: [{ kind: 'sefa', layers: { start: 0, end: numWs }, directions: [unit(0), unit(1)], labels: ['SeFa 0', 'SeFa 1 (frame)'], scales: [1, 2] }],
    }));
    // The explainer announces it; the portal looks again.
    await t.bus.publish(ExplanationCompleted.create({ name: 'tiny', explanation: { ...checkpoint, prefix: 'explanations/s/tiny/' }, numbers: {}, provenance: {} }, { runid: 's' }));
    const after = await researcher.get<{ directions: Array<{ method: string; label: string }> }>(`/api/explorer/directions?run=${encodeURIComponent(run)}`);
    expect(after.body.directions).toEqual([{ index: 0, method: 'sefa', label: 'SeFa 0' }, { index: 1, method: 'sefa', label: 'SeFa 1 (frame)' }]);
  });

  it('renders an image at a seed, ψ and class, and moving a slider changes it; nonsense amounts are refused', async () => {
    const at = (a: string) => researcher.get(`/api/explorer/image.png?run=${encodeURIComponent(run)}&seed=5&psi=0.8&class=1&a=${a}`);
    const [still, zero, moved] = [await at(''), await at('0,0'), await at('0,4')];
    expect(still.headers.get('content-type')).toBe('image/png');
    expect(Buffer.compare(still.bytes, zero.bytes)).toBe(0);
    expect(Buffer.compare(still.bytes, moved.bytes)).not.toBe(0);
    expect((await at('1,2,3')).body.error).toBe('invalid-request'); // two directions, three amounts
    expect((await at('x')).status).toBe(400);
  });

  it('lists the privacy audits in the store, ignores a malformed one, serves only the images an audit names', async () => {
    const png = await sharp(Buffer.alloc(16 * 16 * 3, 128), { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer();
    const [g, r] = [await store.put('dermagan', 'projections/tiny/pairs/g0.png', png, { contentType: 'image/png' }), await store.put('dermagan', 'projections/tiny/pairs/r0.png', png, { contentType: 'image/png' })];
    const audit: PrivacyAudit = {
      format: 'dermagan.privacy-audit/v1', name: 'tiny', checkpoint, space: 'inception-2015-pool3', membership: { auc: 0.52, members: 100, nonMembers: 100 }, authenticity: 0.81, copyThreshold: 0.1,
      closestPairs: [{ generated: g, real: r, realId: 'ISIC_0000001', distance: 0.05, flagged: true }],
      histograms: [{ name: 'generated → nearest train', edges: [0, 0.5, 1], counts: [3, 7] }],
    };
    await store.put('dermagan', 'projections/tiny/privacy-audit.json', JSON.stringify(audit));
    await store.put('dermagan', 'projections/broken/privacy-audit.json', '{"format":"dermagan.privacy-audit/v1"}');
    const fresh = await startTestPortal({ store });
    try {
      const c = await fresh.as('researcher');
      const list = await c.get<{ audits: Array<{ key: string; auc: number; flagged: number }> }>('/api/privacy');
      expect(list.body.audits).toEqual([{ key: 'projections/tiny/privacy-audit.json', name: 'tiny', space: 'inception-2015-pool3', auc: 0.52, authenticity: 0.81, flagged: 1 }]);
      const pair = await c.get('/api/privacy/pair.png?key=projections%2Ftiny%2Fprivacy-audit.json&pair=0&side=real');
      expect(Buffer.compare(pair.bytes, png)).toBe(0);
      expect((await c.get('/api/privacy/pair.png?key=projections%2Ftiny%2Fprivacy-audit.json&pair=1&side=real')).status).toBe(404);
      expect((await c.get('/api/privacy/audit?key=runs%2Fs%2Fgans%2Ftiny%2Fcheckpoints%2F1%2Fcheckpoint.json')).status).toBe(404);
      const page = await c.get('/privacy?key=projections%2Ftiny%2Fprivacy-audit.json');
      expect(page.bytes.toString('utf8')).toContain('flagged as a possible copy');
    } finally {
      await fresh.close();
    }
  });
});
