/**
 * The survey through the HTTP API, as the web app drives it: an operator creates a survey from a
 * real and a synthetic dataset and invites two experts; each answers in its own order; tampered
 * ids, replays, a paused and a closed survey are refused with a reason and store nothing; results
 * and the CSV appear only once the survey is closed, and the κ the API reports is the one computed
 * from the stored answers.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cohenKappa, countAnswers, surveyAnswers } from '@dermagan/survey';
import { Client, startTestPortal, type TestPortal } from './testing/harness.ts';
import { putDataset } from './testing/datasets.ts';

let t: TestPortal;
let operator: Client;
let surveyId: string;
const experts: Client[] = [];

beforeAll(async () => {
  t = await startTestPortal({ config: { surveyDisplaySize: 64 } });
  await putDataset(t.store, 'dermagan', 'datasets/demo/', { perClass: [10, 10], seed: 1 });
  await putDataset(t.store, 'dermagan', 'synthetic/demo/cgan/', { perClass: [10, 10], seed: 2, generated: true });
  operator = await t.as('operator');
}, 120_000);
afterAll(() => t.close());

type Progress = { total: number; answered: number; next: { itemId: string; image: string } | null; survey: { state: string } };

async function next(c: Client): Promise<Progress> {
  return (await c.get<Progress>('/api/expert/progress')).body;
}

describe('creating and inviting', () => {
  it('refuses a survey the datasets cannot give, saying why', async () => {
    const r = await operator.post('/api/surveys', { title: 'too many', real: { bucket: 'dermagan', prefix: 'datasets/demo/' }, synthetic: { bucket: 'dermagan', prefix: 'synthetic/demo/cgan/' }, n: 60, classShares: [0.5, 0.5] });
    expect(r.status).toBe(422);
    expect(r.body).toEqual({ error: 'cannot-plan-survey', reason: 'the real dataset has 10 benign images; the survey needs 15 (lower N or change the balance)' });
  });

  it('creates a survey of 8 images, half synthetic, as equal-sized PNGs at the display size', async () => {
    const r = await operator.post<{ id: string }>('/api/surveys', { title: 'Real or synthetic?', real: { bucket: 'dermagan', prefix: 'datasets/demo/' }, synthetic: { bucket: 'dermagan', prefix: 'synthetic/demo/cgan/' }, n: 8, syntheticShare: 0.5, classShares: [0.5, 0.5], seed: 3, askClass: true });
    expect(r.status).toBe(200);
    surveyId = r.body.id;
    const { rows } = await t.portal.deps.db.query<{ source: string; label: number; image: { size: number; key: string } }>('select source, label, image from survey_items where survey_id = $1', [surveyId]);
    expect(rows.map((x) => `${x.source}/${x.label}`).sort()).toEqual(['real/0', 'real/0', 'real/1', 'real/1', 'synthetic/0', 'synthetic/0', 'synthetic/1', 'synthetic/1']);
    expect(new Set(rows.map((x) => x.image.size)).size).toBe(1);
    const meta = await sharp(await t.store.getBytes('dermagan', rows[0]!.image.key)).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 64, 64]);
  });

  it('invitation links work once; the experts get their own order', async () => {
    for (const name of ['Dr A', 'Dr B']) {
      const inv = await operator.post<{ path: string }>(`/api/surveys/${surveyId}/invitations`, { displayName: name });
      expect(inv.body.path).toMatch(/^\/invite\/[A-Za-z0-9_-]{43}$/);
      const c = new Client(t.url);
      await c.accept(inv.body.path, `expert-${experts.length + 1}`);
      expect(c.principal).toMatchObject({ role: 'expert', surveyId });
      const again = new Client(t.url);
      await again.session();
      const reuse = await again.post(`/api${inv.body.path.replace('/invite/', '/invitations/')}`, { username: 'someone-else', password: 'password-123' });
      expect(reuse.status).toBe(410);
      expect(reuse.body.error).toBe('invitation-used');
      experts.push(c);
    }
    const { rows } = await t.portal.deps.db.query<{ account_id: string; item_id: string }>('select account_id, item_id from assignments where survey_id = $1 order by account_id, position', [surveyId]);
    expect(rows).toHaveLength(16);
  });
});

describe('answering', () => {
  it('shows the next image and stores an answer with its time', async () => {
    const p = await next(experts[0]!);
    expect(p).toMatchObject({ total: 8, answered: 0, survey: { state: 'open' } });
    const img = await experts[0]!.get(p.next!.image);
    expect([img.status, img.headers.get('content-type')]).toEqual([200, 'image/png']);
    const r = await experts[0]!.post<{ stored: boolean; progress: Progress }>('/api/expert/answers', { itemId: p.next!.itemId, judged: 'real', confidence: 3, classAnswer: 1 });
    expect(r.status).toBe(200);
    expect(r.body.progress.answered).toBe(1);
  });

  it('a replayed answer is refused as already-answered; nothing more is stored', async () => {
    const [first] = await surveyAnswers(t.portal.deps.db, surveyId);
    const r = await experts[0]!.post('/api/expert/answers', { itemId: first!.item, judged: 'synthetic', confidence: 5 });
    expect([r.status, r.body.error]).toEqual([409, 'already-answered']);
    expect(await countAnswers(t.portal.deps.db, surveyId)).toBe(1);
  });

  it('a tampered image id is refused (made up, or another survey image not on screen); an image not assigned is not served', async () => {
    const made = await experts[0]!.post('/api/expert/answers', { itemId: 'AAAAAAAAAAAAAAAAAAAAAA', judged: 'real', confidence: 3 });
    expect([made.status, made.body.error]).toEqual([403, 'not-your-image']);
    const { rows } = await t.portal.deps.db.query<{ item_id: string }>('select item_id from assignments where account_id = $1 order by position desc limit 1', [experts[0]!.principal!.accountId]);
    const later = await experts[0]!.post('/api/expert/answers', { itemId: rows[0]!.item_id, judged: 'real', confidence: 3 });
    expect([later.status, later.body.error]).toEqual([409, 'out-of-order']);
    expect((await experts[0]!.get('/api/expert/images/AAAAAAAAAAAAAAAAAAAAAA')).status).toBe(403);
    expect(await countAnswers(t.portal.deps.db, surveyId)).toBe(1);
  });

  it('an answer without the CSRF token is refused and stores nothing', async () => {
    const p = await next(experts[1]!);
    const r = await experts[1]!.request('POST', '/api/expert/answers', { itemId: p.next!.itemId, judged: 'real', confidence: 3 }, { 'x-csrf-token': 'forged' });
    expect([r.status, r.body.error]).toEqual([403, 'csrf']);
    expect(await countAnswers(t.portal.deps.db, surveyId)).toBe(1);
  });

  it('while open, results are sealed for everybody, experts see no truth', async () => {
    expect((await operator.get(`/api/surveys/${surveyId}/results`)).body.error).toBe('survey-open');
    expect((await operator.get(`/api/surveys/${surveyId}/answers.csv`)).status).toBe(409);
    expect((await experts[0]!.get('/api/expert/results')).status).toBe(409);
    expect((await experts[0]!.get(`/api/surveys/${surveyId}`)).status).toBe(403);
  });

  it('a paused survey refuses answers; resumed, the expert goes on', async () => {
    expect((await operator.post(`/api/surveys/${surveyId}/state`, { state: 'paused' })).status).toBe(200);
    const p = await next(experts[1]!);
    expect(p.next).toBeNull();
    const { rows } = await t.portal.deps.db.query<{ item_id: string }>('select item_id from assignments where account_id = $1 order by position limit 1', [experts[1]!.principal!.accountId]);
    const r = await experts[1]!.post('/api/expert/answers', { itemId: rows[0]!.item_id, judged: 'real', confidence: 3 });
    expect([r.status, r.body.error]).toEqual([409, 'survey-paused']);
    await operator.post(`/api/surveys/${surveyId}/state`, { state: 'open' });
    expect((await next(experts[1]!)).next!.itemId).toBe(rows[0]!.item_id);
  });

  it('both experts answer everything (expert B: "synthetic" on even positions)', async () => {
    for (const [k, c] of experts.entries()) {
      for (let i = 0; ; i++) {
        const p = await next(c);
        if (!p.next) break;
        const r = await c.post('/api/expert/answers', { itemId: p.next.itemId, judged: k === 1 && i % 2 === 0 ? 'synthetic' : 'real', confidence: 1 + (i % 5) });
        expect(r.status).toBe(200);
      }
    }
    expect(await countAnswers(t.portal.deps.db, surveyId)).toBe(16);
  });
});

describe('closing', () => {
  it('closing is final: answers are refused, and the results equal those computed from the stored answers', async () => {
    await operator.post(`/api/surveys/${surveyId}/state`, { state: 'closed' });
    expect((await operator.post(`/api/surveys/${surveyId}/state`, { state: 'open' })).body.error).toBe('bad-transition');
    const results = await operator.get<{ cohen: Array<{ kappa: number | null; items: number }>; experts: Array<{ answered: number }>; meanAccuracy: number }>(`/api/surveys/${surveyId}/results`);
    expect(results.status).toBe(200);
    expect(results.body.experts.map((e) => e.answered)).toEqual([8, 8]);
    const stored = await surveyAnswers(t.portal.deps.db, surveyId);
    const byItem = (u: string) => new Map(stored.filter((s) => s.username === u).map((s) => [s.item, s.judged]));
    const [a, b] = [byItem('expert-1'), byItem('expert-2')];
    const items = [...a.keys()].sort();
    expect(results.body.cohen[0]!.kappa).toBe(cohenKappa(items.map((i) => a.get(i)), items.map((i) => b.get(i))));
    const mine = await experts[0]!.get<{ accuracy: number; answered: number }>('/api/expert/results');
    expect(mine.body.answered).toBe(8);
  });

  it('the CSV has one row per answer with the truth, and no cell a spreadsheet would run', async () => {
    await t.portal.deps.db.query("update accounts set display_name = '=HYPERLINK(\"http://evil\")' where username = 'expert-1'");
    const csv = await operator.get(`/api/surveys/${surveyId}/answers.csv`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = csv.bytes.toString('utf8').trim().split('\r\n');
    expect(lines).toHaveLength(17);
    expect(lines[0]).toBe('expert,expert_name,position,image,truth,class,judged,correct,confidence,class_answer,seconds,answered_at,dataset,dataset_image');
    expect(lines.filter((l) => l.includes(`"'=HYPERLINK(""http://evil"")"`))).toHaveLength(8);
    expect(lines.slice(1).every((l) => !/(^|,)[=+@]/.test(l))).toBe(true);
  });

  it('exports the results as the study report’s section, with the κ of the results', async () => {
    const results = await operator.get<{ cohen: Array<{ kappa: number }> }>(`/api/surveys/${surveyId}/results`);
    const section = await operator.get(`/api/surveys/${surveyId}/report-section.html`);
    expect(section.headers.get('content-type')).toMatch(/^text\/html/);
    expect(section.bytes.toString('utf8')).toContain(`<span class="kappa" data-value="${results.body.cohen[0]!.kappa}">`);
  });

  it('an answer to a closed survey is refused', async () => {
    const { rows } = await t.portal.deps.db.query<{ item_id: string }>('select item_id from assignments where account_id = $1 limit 1', [experts[0]!.principal!.accountId]);
    const r = await experts[0]!.post('/api/expert/answers', { itemId: rows[0]!.item_id, judged: 'real', confidence: 3 });
    expect([r.status, r.body.error]).toEqual([409, 'survey-closed']);
    expect(await countAnswers(t.portal.deps.db, surveyId)).toBe(16);
  });
});
