/**
 * Everything is refused by default: every role is tried against every API route and page it must
 * not reach (signed out → 401 / the sign-in page; a role not listed → 403), including the ones
 * that change state, which must change nothing. A tenant admin sees only its own tenant's runs,
 * with the other tenants' numbers removed. The CSRF and same-origin checks hold for every change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '@dermagan/auth';
import { FederationRequested, FederationRoundCompleted, TrainingProgress, TrainingRequested } from '@dermagan/contracts';
import { refuse } from './http/route.ts';
import { Client, startTestPortal, type TestPortal } from './testing/harness.ts';


/** The access policy, reviewed here: a route or page that changes who may reach it fails this test. */
const POLICY = {
  api: {
    'GET /api/session': 'public',
    'POST /api/session': 'public',
    'DELETE /api/session': 'signed-in',
    'GET /api/accounts': ['operator'],
    'POST /api/accounts': ['operator'],
    'GET /api/runs': ['operator', 'researcher', 'tenant-admin'],
    'GET /api/runs/:id': ['operator', 'researcher', 'tenant-admin'],
    'GET /api/runs/:id/snapshots/:kimg/grid.png': ['operator', 'researcher', 'tenant-admin'],
    'GET /api/runs/:id/report': ['operator', 'researcher'],
    'GET /api/events': ['operator', 'researcher', 'tenant-admin'],
    'GET /api/surveys': ['operator', 'researcher'],
    'POST /api/surveys': ['operator'],
    'GET /api/surveys/:id': ['operator', 'researcher'],
    'POST /api/surveys/:id/state': ['operator'],
    'POST /api/surveys/:id/invitations': ['operator'],
    'GET /api/surveys/:id/results': ['operator', 'researcher'],
    'GET /api/surveys/:id/report-section.html': ['operator', 'researcher'],
    'GET /api/surveys/:id/answers.csv': ['operator', 'researcher'],
    'GET /api/datasets': ['operator', 'researcher'],
    'GET /api/invitations/:token': 'public',
    'POST /api/invitations/:token': 'public',
    'GET /api/expert/progress': ['expert'],
    'POST /api/expert/answers': ['expert'],
    'GET /api/expert/images/:itemId': ['expert'],
    'GET /api/expert/results': ['expert'],
    'GET /api/explorer/generators': ['operator', 'researcher'],
    'GET /api/explorer/directions': ['operator', 'researcher'],
    'GET /api/explorer/image.png': ['operator', 'researcher'],
    'GET /api/privacy': ['operator', 'researcher'],
    'GET /api/privacy/audit': ['operator', 'researcher'],
    'GET /api/privacy/pair.png': ['operator', 'researcher'],
  },
  pages: {
    '/runs': ['operator', 'researcher', 'tenant-admin'],
    '/runs/:id': ['operator', 'researcher', 'tenant-admin'],
    '/surveys': ['operator', 'researcher'],
    '/surveys/:id': ['operator', 'researcher'],
    '/invite/:token': 'public',
    '/survey': ['expert'],
    '/': 'signed-in',
    '/login': 'public',
    '/accounts': ['operator'],
    '/explorer': ['operator', 'researcher'],
    '/privacy': ['operator', 'researcher'],
  },
};

let t: TestPortal;
const clients = new Map<Role | 'anonymous', Client>();
let surveyId: string;

/** A concrete path for a route pattern (ids that exist, so only access decides). */
function concrete(path: string): string {
  return path
    .replace(':token', 'A'.repeat(43))
    .replace(':itemId', 'item')
    .replace(':kimg', '0')
    .replace(':id', () => (path.startsWith('/api/surveys') || path.startsWith('/surveys') ? surveyId : 'training%3A-%3Arun'));
}

async function tableCounts(): Promise<string> {
  const { rows } = await t.portal.deps.db.query(
    `select (select count(*) from accounts)::int a, (select count(*) from surveys)::int s, (select count(*) from invitations)::int i,
            (select count(*) from answers)::int x, (select count(*) from sessions)::int ss, (select string_agg(state, ',') from surveys) st`,
  );
  return JSON.stringify(rows[0]);
}

beforeAll(async () => {
  t = await startTestPortal();
  for (const role of ['operator', 'researcher', 'tenant-admin'] as const) clients.set(role, await t.as(role));
  const { rows } = await t.portal.deps.db.query<{ id: string }>('select id from accounts where role = $1 limit 1', ['operator']);
  surveyId = '00000000-0000-4000-8000-000000000001';
  await t.portal.deps.db.query("insert into surveys (id, title, state, config, labels, created_by) values ($1, 's', 'open', '{}', '[]', $2)", [surveyId, rows[0]!.id]);
  const inv = await clients.get('operator')!.post<{ path: string }>(`/api/surveys/${surveyId}/invitations`, { displayName: 'E' });
  const expert = new Client(t.url);
  await expert.accept(inv.body.path, 'the-expert');
  clients.set('expert', expert);
  const anonymous = new Client(t.url);
  await anonymous.session();
  clients.set('anonymous', anonymous);
});
afterAll(() => t.close());

describe('every role against every route it must not reach', () => {
  it('the policy is the reviewed one', () => {
    expect(Object.fromEntries(t.portal.app.routes.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r.access]))).toEqual(POLICY.api);
    expect(Object.fromEntries(t.portal.app.pages.map((p) => [p.path, p.access]))).toEqual(POLICY.pages);
  });

  it('the API: 401 signed out, 403 for a role not allowed; nothing changes', async () => {
    const tried: string[] = [];
    for (const r of t.portal.app.routes) {
      for (const who of [...ROLES, 'anonymous'] as const) {
        const c = clients.get(who)!;
        const refusal = refuse(r.access, who === 'anonymous' ? null : c.principal);
        if (!refusal) continue;
        const before = await tableCounts();
        const res = await c.request(r.method.toUpperCase(), concrete(r.path), r.method === 'get' ? undefined : { state: 'closed', displayName: 'x', username: 'intruder', password: 'intruder-pass', role: 'operator', title: 't', itemId: 'item', judged: 'real', confidence: 3 });
        expect({ route: `${r.method} ${r.path}`, who, status: res.status, error: res.body.error }).toEqual({ route: `${r.method} ${r.path}`, who, status: refusal.status, error: refusal.status === 401 ? 'unauthenticated' : 'forbidden' });
        expect(await tableCounts()).toBe(before);
        tried.push(`${who} ${r.method} ${r.path}`);
      }
    }
    // Every non-public route was tried by someone it refuses.
    expect(tried.length).toBeGreaterThan(60);
    for (const r of t.portal.app.routes.filter((x) => x.access !== 'public')) expect(tried.some((x) => x.endsWith(` ${r.method} ${r.path}`))).toBe(true);
  });

  it('the pages: signed out → the sign-in page, a role not allowed → 403', async () => {
    for (const p of t.portal.app.pages) {
      for (const who of [...ROLES, 'anonymous'] as const) {
        const c = clients.get(who)!;
        const refusal = refuse(p.access, who === 'anonymous' ? null : c.principal);
        if (!refusal) continue;
        const res = await c.get(concrete(p.path));
        if (refusal.status === 401) expect([p.path, res.status, res.headers.get('location')?.startsWith('/login?next=')]).toEqual([p.path, 303, true]);
        else expect([p.path, who, res.status]).toEqual([p.path, who, 403]);
      }
    }
  });

  it('an unknown path is refused, API or page', async () => {
    const op = clients.get('operator')!;
    expect((await op.get('/api/secrets')).status).toBe(404);
    expect((await op.post('/api/runs/x/delete')).status).toBe(404);
    expect((await op.get('/admin')).status).toBe(404);
  });
});

describe('CSRF and origin', () => {
  it('a change without the token, with another session’s token, or from another origin is refused', async () => {
    const op = clients.get('operator')!;
    const other = clients.get('researcher')!;
    const before = await tableCounts();
    const body = { displayName: 'x' };
    expect((await op.request('POST', `/api/surveys/${surveyId}/invitations`, body, { 'x-csrf-token': '' })).body.error).toBe('csrf');
    expect((await op.request('POST', `/api/surveys/${surveyId}/invitations`, body, { 'x-csrf-token': other.csrf })).body.error).toBe('csrf');
    expect((await op.request('POST', `/api/surveys/${surveyId}/invitations`, body, { origin: 'http://evil.example' })).body.error).toBe('csrf');
    expect(await tableCounts()).toBe(before);
    expect((await op.post(`/api/surveys/${surveyId}/invitations`, body)).status).toBe(200);
  });

  it('sign-in needs the double-submit token too (no login CSRF)', async () => {
    const c = new Client(t.url);
    const r = await c.request('POST', '/api/session', { username: 'admin', password: 'test-password-1' }, { 'x-csrf-token': 'A'.repeat(43) });
    expect([r.status, r.body.error]).toEqual([403, 'csrf']);
  });

  it('after 5 failed sign-ins for one username, even the right password is refused for a while', async () => {
    const victim = await t.as('researcher');
    const name = victim.principal!.username;
    const c = new Client(t.url);
    await c.session();
    for (let i = 0; i < 5; i++) expect((await c.post('/api/session', { username: name, password: `guess-${i}-xx` })).body.error).toBe('bad-credentials');
    const locked = await c.post('/api/session', { username: name, password: 'test-password-1' });
    expect([locked.status, locked.body.error]).toEqual([429, 'too-many-attempts']);
    // Another user from the same address is not locked out by it (the address bar is higher).
    const other = await t.as('researcher');
    expect(other.principal).not.toBeNull();
  });

  it('wrong passwords are refused alike for unknown and known users; signing out ends the session', async () => {
    const c = new Client(t.url);
    await c.session();
    expect((await c.post('/api/session', { username: 'admin', password: 'nope-nope' })).body.error).toBe('bad-credentials');
    expect((await c.post('/api/session', { username: 'nobody', password: 'nope-nope' })).body.error).toBe('bad-credentials');
    const r = await t.as('researcher');
    expect((await r.get('/api/runs')).status).toBe(200);
    expect((await r.request('DELETE', '/api/session')).status).toBe(200);
    expect((await r.get('/api/runs')).status).toBe(401);
  });
});

describe('a tenant admin sees only its own tenant', () => {
  it("lists only the federations its tenant takes part in, and only its own numbers in their rounds", async () => {
    const key = { bucket: 'b', key: 'k', sha256: 'a'.repeat(64), size: 1 };
    const folder = { bucket: 'b', prefix: 'p/', manifest: key };
    const tenant = (name: string) => ({ tenant: name, dataset: folder, publicKey: 'pk' });
    const fed = (id: string, names: string[]) => FederationRequested.create({ tenants: names.map(tenant), rounds: 2, k: 1, strategy: { name: 'fedavg' }, quorum: 1, roundTimeoutMs: 1000, training: { res: 16 }, output: { bucket: 'b', prefix: 'f/' } }, { runid: id });
    await t.portal.indexer.handle(fed('fed-ab', ['hospital-a', 'hospital-b']) as never);
    await t.portal.indexer.handle(fed('fed-bc', ['hospital-b', 'hospital-c']) as never);
    await t.portal.indexer.handle(TrainingRequested.create({ run: 'central', dataset: folder, config: { res: 16, kimg: 1 }, output: { bucket: 'b', prefix: 'r/' } }, { runid: 'study-1' }) as never);
    await t.portal.indexer.handle(TrainingProgress.create({ run: 'central', kimg: 0.5, totalKimg: 1, stats: { lossG: 1 } }, { runid: 'study-1' }) as never);
    await t.portal.indexer.handle(
      FederationRoundCompleted.create(
        {
          round: 1, attempt: 0, participants: ['hospital-a', 'hospital-b'], accepted: ['hospital-a'], dropped: [], aggregated: true, reasons: [], global: key,
          rejected: [{ tenant: 'hospital-b', round: 1, reason: 'norm-too-large', detail: 'x' }], updateNorms: { 'hospital-a': 1.5, 'hospital-b': 99 }, samples: { 'hospital-a': 10, 'hospital-b': 20 },
        },
        { runid: 'fed-ab' },
      ) as never,
    );
    const admin = clients.get('tenant-admin')!; // hospital-a
    const list = await admin.get<{ runs: Array<{ id: string }> }>('/api/runs');
    expect(list.body.runs.map((r) => r.id)).toEqual(['federation:fed-ab']);
    expect((await admin.get('/api/runs/federation%3Afed-bc')).status).toBe(404);
    expect((await admin.get('/api/runs/training%3Astudy-1%3Acentral')).status).toBe(404);
    const detail = await admin.get<{ rounds: Array<Record<string, unknown>>; request: { tenants: Array<{ tenant: string }> } }>('/api/runs/federation%3Afed-ab');
    expect(detail.body.rounds[0]).toEqual({
      round: 1, attempt: 0, aggregated: true, participants: ['hospital-a'], accepted: ['hospital-a'], dropped: [], rejected: [],
      updateNorms: { 'hospital-a': 1.5 }, samples: { 'hospital-a': 10 }, totals: { participants: 2, accepted: 1, dropped: 0, rejected: 1 },
    });
    expect(detail.body.request.tenants).toEqual([{ tenant: 'hospital-a', dataset: folder }]);
    expect(JSON.stringify(detail.body)).not.toContain('hospital-b');
    const all = await clients.get('researcher')!.get<{ runs: unknown[] }>('/api/runs');
    expect(all.body.runs).toHaveLength(4);
  });
});
