/**
 * Portal benchmark (numbers, not a test): in Debian's chromium driven by playwright-core,
 * 1. time to first render of the runs page with 1,000 runs in the index (navigation start →
 *    first contentful paint, and the server's time to the HTML), over --repeats page loads;
 * 2. the survey page's image load time: an expert answering a survey of --images images, the
 *    time from the next image being asked for until it has loaded, per image.
 * PGlite in memory by default, or --database postgres://… for a PostgreSQL server.
 *
 *   node --import tsx scripts/bench/portal.ts [--runs 1000] [--images 60] [--repeats 7] [--database URL]
 *
 * Progress on stderr; the last stdout line is JSON.
 */
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { upsertRun } from '../../services/portal/src/runs/repository.ts';
import { putDataset } from '../../services/portal/src/testing/datasets.ts';
import { startTestPortal, TEST_PASSWORD } from '../../services/portal/src/testing/harness.ts';

// Code run in the page: this file is type-checked for Node, so the page's globals are declared loosely here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any, performance: any;

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    images: { type: 'string', default: '60' },
    repeats: { type: 'string', default: '7' },
    database: { type: 'string' },
  },
});
const RUNS = Number(values.runs);
const IMAGES = Number(values.images);
const REPEATS = Number(values.repeats);

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const median = (xs: number[]) => quantile(xs, 0.5);
const log = (m: string) => process.stderr.write(`${m}\n`);

const t = await startTestPortal({ ...(values.database ? { databaseUrl: values.database } : {}), config: { surveyDisplaySize: 256 } });
const browser = await chromium.launch({ executablePath: process.env.DERMAGAN_CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
try {
  // 1. The runs page with RUNS runs.
  log(`indexing ${RUNS} runs…`);
  const now = Date.now();
  for (let i = 0; i < RUNS; i++) {
    await upsertRun(t.portal.deps.db, {
      id: `training:bench:run-${i}`, kind: 'training', name: `run-${i}`, study: 'bench', status: i % 10 ? 'completed' : 'running', at: new Date(now - i * 1000),
      summary: { kimg: i % 25, totalKimg: 25, lossG: 1.2, lossD: 0.8, adaP: 0.1 },
    });
  }
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  const paints: number[] = [];
  const html: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    await page.goto(`${t.url}/runs`, { waitUntil: 'load' });
    const timing = (await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      return { fcp: fcp ? fcp.startTime : null, ttfb: nav.responseStart, html: nav.responseEnd - nav.requestStart, rows: document.querySelectorAll('tr[data-run]').length };
    })) as { fcp: number | null; ttfb: number; html: number; rows: number };
    if (timing.rows !== RUNS) throw new Error(`the runs page shows ${timing.rows} runs, expected ${RUNS}`);
    if (timing.fcp !== null) paints.push(timing.fcp);
    html.push(timing.html);
    log(`runs page ${r + 1}/${REPEATS}: first contentful paint ${timing.fcp?.toFixed(0)} ms, HTML ${timing.html.toFixed(0)} ms (${timing.rows} rows)`);
  }

  // 2. The survey page's images.
  log(`making a survey of ${IMAGES} images at 256² (from 32² datasets)…`);
  const per = Math.ceil(IMAGES / 4);
  await putDataset(t.store, 'dermagan', 'datasets/bench/', { perClass: [per, per], size: 32, seed: 1 });
  await putDataset(t.store, 'dermagan', 'synthetic/bench/', { perClass: [per, per], size: 32, seed: 2, generated: true });
  const operator = await t.as('operator');
  const created = await operator.post<{ id: string }>('/api/surveys', { title: 'bench', real: { bucket: 'dermagan', prefix: 'datasets/bench/' }, synthetic: { bucket: 'dermagan', prefix: 'synthetic/bench/' }, n: IMAGES });
  const invitation = await operator.post<{ path: string }>(`/api/surveys/${created.body.id}/invitations`, { displayName: 'Bench' });
  const expert = await (await browser.newContext()).newPage();
  await expert.goto(t.url + invitation.body.path);
  await expert.fill('input[name=username]', 'bench-expert');
  await expert.fill('input[name=password]', TEST_PASSWORD);
  await expert.click('button:has-text("Start the survey")');
  await expert.waitForURL(`${t.url}/survey`);
  const loads: number[] = [];
  const cycles: number[] = [];
  for (let i = 0; i < IMAGES; i++) {
    await expert.waitForFunction(([n, total]) => document.getElementById('position').textContent === `Image ${n} of ${total}` && document.body.dataset.imageMs !== undefined && document.getElementById('lesion').complete, [i + 1, IMAGES]);
    loads.push(Number(await expert.evaluate(() => document.body.dataset.imageMs)));
    await expert.evaluate(() => delete document.body.dataset.imageMs);
    await expert.check('input[name=judged][value=real]');
    await expert.check('input[name=confidence][value="3"]');
    const started = Date.now();
    await expert.click('#submit-answer');
    await expert.waitForFunction(([n, total]) => document.getElementById('position').textContent !== `Image ${n} of ${total}` && document.getElementById('lesion').complete, [i + 1, IMAGES]);
    cycles.push(Date.now() - started);
  }
  const result = {
    runs: RUNS,
    runsPage: { firstContentfulPaintMs: { median: median(paints), p90: quantile(paints, 0.9) }, htmlMs: { median: median(html), p90: quantile(html, 0.9) }, repeats: REPEATS },
    survey: { images: IMAGES, displaySize: 256, imageLoadMs: { median: median(loads), p90: quantile(loads, 0.9), max: Math.max(...loads) }, answerToNextImageMs: { median: median(cycles), p90: quantile(cycles, 0.9) } },
    database: t.portal.deps.db.kind,
  };
  log(`runs page (${RUNS} runs): first contentful paint median ${result.runsPage.firstContentfulPaintMs.median.toFixed(0)} ms; survey image load median ${result.survey.imageLoadMs.median} ms, answer → next image loaded median ${result.survey.answerToNextImageMs.median} ms`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await browser.close();
  await t.close();
}

async function signIn(page: Page): Promise<void> {
  await page.goto(`${t.url}/login`);
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', TEST_PASSWORD);
  await page.click('button:has-text("Sign in")');
  await page.waitForURL(`${t.url}/`, { timeout: 5000 }).catch(() => {});
}

