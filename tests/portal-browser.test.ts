/**
 * The portal in a real browser (Debian's chromium driven by playwright-core), deployed as in a
 * cluster: PostgreSQL for its database, Kafka for the bus, MinIO for the store, the ingest,
 * gan-trainer and generator handlers on the same broker. An operator signs in and watches a tiny
 * training's progress arrive live, opens a snapshot's sample grid, makes a survey from the real
 * and the generated images, invites two experts who answer in their own browsers, closes it, and
 * the κ the results page shows is the one computed from the answers stored in PostgreSQL.
 * Screenshots go to tests/artifacts/portal/ (kept by CI as test artifacts, not committed).
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadTf } from '@dermagan/tf';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KafkaBus } from '@dermagan/bus';
import { DatasetGenerated, DatasetIngested, GenerationRequested, IngestRequested, TrainingCompleted, TrainingRequested, type FolderRef } from '@dermagan/contracts';
import { s3StoreFromEnv } from '@dermagan/store';
import { PRESETS } from '@dermagan/study';
import { cohenKappa } from '@dermagan/survey';
import { startTestPortal, TEST_PASSWORD, type TestPortal } from '../services/portal/src/testing/harness.ts';
import { startEmbeddedServices } from '../cli/embedded-services.ts';
import { createDatabase } from './servers/postgres.ts';

const backend = await loadTf();

const DEMO = new URL('../data/demo/metadata.csv', import.meta.url).pathname;
const SHOTS = new URL('./artifacts/portal/', import.meta.url).pathname;
const BUCKET = `portal-browser-${Date.now().toString(36)}`;
/** Flags for chromium on a closed network (no background connections, no sandbox as root). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Code run in the page: this file is type-checked for Node, so the page's globals are declared loosely here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any, window: any;

const env = inject('serverEnv');
let t: TestPortal;
let bus: KafkaBus;
let browser: Browser;
let real: FolderRef;
let run: string;

function once<T>(types: string[], parse: (raw: unknown) => T, match: (e: T) => boolean, group: string): Promise<T> {
  return new Promise((resolve, reject) => {
    bus.subscribe({ group, types, parse: parse as never, handler: async (e) => { if (match(e as T)) resolve(e as T); } }).catch(reject);
  });
}

/** A broker that just started may refuse to create topics for a few seconds ("does not host this topic-partition"). */
async function warmUp(): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await bus.subscribe({ group: 'portal-browser-warmup', types: ['org.dermagan.portal-warmup.v1'], parse: (r) => r as never, handler: async () => {} });
      return;
    } catch (err) {
      if (attempt >= 60 || (err as { retriable?: boolean }).retriable === false) throw err;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  await mkdir(SHOTS, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'portal-browser-'));
  bus = new KafkaBus({ brokers: env.DERMAGAN_KAFKA_BROKERS!.split(','), clientId: 'portal-browser-test', sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 });
  await bus.start();
  await warmUp();
  const store = s3StoreFromEnv(env)!;
  await store.ensureBucket(BUCKET);
  await startEmbeddedServices({ backend, bus, store, workDir: join(work, 'services'), services: ['ingest', 'gan-trainer', 'generator'] });
  t = await startTestPortal({ databaseUrl: await createDatabase(env.DERMAGAN_TEST_POSTGRES_URL!, 'portal_browser'), bus, store, config: { bucket: BUCKET, surveyDisplaySize: 128 } });

  // The real images: the demo subset at 16², ingested over Kafka.
  const ingested = once([DatasetIngested.type], (r) => DatasetIngested.parse(r), (e) => e.data.dataset.bucket === BUCKET, 'portal-browser-ingest');
  await bus.publish(IngestRequested.create({ source: { kind: 'auto', path: DEMO }, output: { bucket: BUCKET, prefix: 'datasets/demo16/' }, size: 16, split: null, seed: 0, tenants: null }));
  real = (await ingested).data.dataset;
  browser = await chromium.launch({ executablePath: process.env.DERMAGAN_CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await bus?.close();
});

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto(`${t.url}/runs`);
  await page.waitForURL(/\/login\?next=/);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('button:has-text("Sign in")');
  await page.waitForURL(`${t.url}/runs`);
}

describe('the portal in a browser', () => {
  let operator: Page;

  it('signs in, then shows a tiny training’s progress as it arrives, without reloading', async () => {
    operator = await (await browser.newContext()).newPage();
    await signIn(operator, 'admin', TEST_PASSWORD);
    await shot(operator, '01-runs-empty');

    const request = TrainingRequested.create(
      { run: 'portal-live', dataset: real, classFilter: null, config: { ...PRESETS.smoke.gan, kimg: 0.192, tickKimg: 0.032, cond: true }, output: { bucket: BUCKET, prefix: 'runs/portal/gans/portal-live/' } },
      { runid: 'portal-study' },
    );
    run = 'training:portal-study:portal-live';
    const completed = once([TrainingCompleted.type], (r) => TrainingCompleted.parse(r), (e) => e.causationid === request.id, 'portal-browser-trained');
    await bus.publish(request);

    // The new run appears on the runs page (the page reloads itself on a run it does not list yet).
    await operator.waitForSelector(`tr[data-run="${run}"]`, { timeout: 120_000 });
    await operator.click(`tr[data-run="${run}"] a`);
    await operator.waitForURL(/\/runs\/training/);
    const loadedAt = await operator.evaluate(() => (window.loadedAt = performance.timeOrigin));
    // Ticks arrive over server-sent events: the kimg shown moves and the page is the same document.
    const first = Number(await operator.textContent('[data-field="kimg"]').catch(() => '0')) || 0;
    // The page shows kimg to 2 decimals (0.064 → "0.06"): compare the tick that arrived on that scale, or a replayed 0.064 passes for news.
    await operator.waitForFunction((k) => Number(Number(document.body.dataset.lastTick ?? -1).toFixed(2)) > k, first, { timeout: 180_000 });
    const shown = Number(await operator.textContent('[data-field="kimg"]'));
    expect(shown).toBeGreaterThan(first);
    expect(await operator.evaluate(() => window.loadedAt)).toBe(loadedAt);
    await operator.waitForSelector('svg[data-plot="lossG,lossD"] polyline');
    await shot(operator, '02-training-live');
    await completed;
  }, 400_000);

  it('opens a snapshot’s sample grid', async () => {
    await operator.reload();
    const img = await operator.waitForSelector('#snapshots img', { timeout: 60_000 });
    const src = await img.getAttribute('src');
    await operator.click('#snapshots a');
    await operator.waitForURL(new RegExp(`${src!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    const size = await operator.evaluate(() => [document.querySelector('img').naturalWidth, document.querySelector('img').naturalHeight]);
    // 16 images of 16² in 8 columns with 2-px gaps, upscaled ×4 to 64-px images: 568 × 136.
    expect(size).toEqual([(8 * 16 + 7 * 2) * 4, (2 * 16 + 2) * 4]);
    await shot(operator, '03-sample-grid');
  }, 120_000);

  it('runs a survey end to end: two experts answer, the operator closes it, the κ shown is the stored answers’ κ', async () => {
    // Synthetic images from the trained generator, over Kafka.
    const detail = await operator.evaluate(async (id) => (await fetch(`/api/runs/${encodeURIComponent(id)}`)).json(), run);
    const checkpoint = (detail as { run: { summary: { checkpoint: FolderRef } } }).run.summary.checkpoint;
    const generated = once([DatasetGenerated.type], (r) => DatasetGenerated.parse(r), (e) => e.data.dataset.bucket === BUCKET, 'portal-browser-generated');
    await bus.publish(GenerationRequested.create({ checkpoint, perClass: { '0': 12, '1': 12 }, seed: 0, truncation: 1, output: { bucket: BUCKET, prefix: 'synthetic/portal/cgan/' }, name: 'portal-cgan' }));
    const synthetic = (await generated).data.dataset;

    // The operator creates the survey and invites two experts.
    await operator.goto(`${t.url}/surveys`);
    await operator.fill('input[name=title]', 'Real or synthetic (browser test)');
    await operator.fill('input[name=real]', `${real.bucket}/${real.prefix}`);
    await operator.fill('input[name=synthetic]', `${synthetic.bucket}/${synthetic.prefix}`);
    await operator.fill('input[name=n]', '8');
    await operator.fill('input[name=classShares]', '0.5,0.5');
    await operator.click('button:has-text("Create")');
    await operator.waitForURL(/\/surveys\/[0-9a-f-]{36}$/);
    const surveyUrl = operator.url();
    const links: string[] = [];
    for (const name of ['Dr Ada', 'Dr Bo']) {
      await operator.fill('input[name=displayName]', name);
      await operator.click('button:has-text("Make a one-time link")');
      await operator.waitForFunction((seen) => { const l = document.querySelector('.invite-link').dataset.link; return !!l && !seen.includes(l); }, links);
      links.push((await operator.getAttribute('.invite-link', 'data-link'))!);
    }
    expect(new Set(links).size).toBe(2);
    await shot(operator, '04-survey-invited');

    // Each expert accepts its link in its own browser and answers every image.
    for (const [k, link] of links.entries()) {
      const page = await (await browser.newContext()).newPage();
      await page.goto(link);
      await page.fill('input[name=username]', `browser-expert-${k + 1}`);
      await page.fill('input[name=password]', 'expert-password');
      await page.click('button:has-text("Start the survey")');
      await page.waitForURL(`${t.url}/survey`);
      for (let i = 0; i < 8; i++) {
        await page.waitForFunction((n) => document.getElementById('position').textContent === `Image ${n} of 8`, i + 1);
        await page.waitForFunction(() => document.getElementById('lesion').complete && document.getElementById('lesion').naturalWidth === 128);
        if (i === 0 && k === 0) await shot(page, '05-expert-answering');
        await page.check(`input[name=judged][value=${(i + k) % 3 === 0 ? 'synthetic' : 'real'}]`);
        await page.check(`input[name=confidence][value="${1 + ((i * 2 + k) % 5)}"]`);
        await page.click('#submit-answer');
      }
      await page.waitForFunction(() => /All 8 images answered/.test(document.getElementById('position').textContent));
      await page.close();
    }

    // The operator closes the survey (confirming the dialog) and reads the results.
    operator.once('dialog', (d) => void d.accept());
    await operator.goto(surveyUrl);
    await operator.click('button:has-text("Close and unseal the results")');
    await operator.waitForSelector('#cohen .kappa');
    await shot(operator, '06-survey-results');
    const shownKappa = Number(await operator.getAttribute('#cohen .kappa', 'data-value'));

    // κ from the rows in PostgreSQL, computed here from scratch.
    const surveyId = surveyUrl.split('/').pop()!;
    const { rows } = await t.portal.deps.db.query<{ username: string; item_id: string; judged: string }>(
      'select a.username, x.item_id, x.judged from answers x join accounts a on a.id = x.account_id where x.survey_id = $1',
      [surveyId],
    );
    expect(rows).toHaveLength(16);
    const by = (u: string) => new Map(rows.filter((r) => r.username === u).map((r) => [r.item_id, r.judged]));
    const [a, b] = [by('browser-expert-1'), by('browser-expert-2')];
    const items = [...a.keys()].sort();
    const expected = cohenKappa(items.map((i) => a.get(i)), items.map((i) => b.get(i)));
    expect(shownKappa).toBeCloseTo(expected!, 12);
    expect(await operator.textContent('#cohen .kappa')).toBe(Number.isInteger(expected) ? String(expected) : expected!.toFixed(3));
  }, 400_000);
});
