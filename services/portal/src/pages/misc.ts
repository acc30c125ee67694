/** Sign-in, the home redirect, accounts, the latent explorer and the privacy view. */
import { listAccounts } from '@dermagan/auth';
import type { AnalysisFinder } from '../analyses/find.ts';
import type { PortalDeps } from '../deps.ts';
import { HttpError } from '../http/errors.ts';
import { html, num, pct } from './html.ts';
import type { Page } from './page.ts';

/** Only same-site paths may be the target after signing in (no open redirect). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/';
}

export function miscPages(deps: PortalDeps, finder: AnalysisFinder): Page[] {
  return [
    {
      path: '/',
      access: 'signed-in',
      render: async ({ principal }) => ({ redirect: principal!.role === 'expert' ? '/survey' : '/runs' }),
    },
    {
      path: '/login',
      access: 'public',
      render: async ({ query }) => ({
        title: 'Sign in',
        body: html`<form class="stack" data-api="POST /api/session" data-then="go:${safeNext(query.next)}">
<label>Username <input name="username" required autocomplete="username" autofocus></label>
<label>Password <input name="password" type="password" required autocomplete="current-password"></label>
<button>Sign in</button><p class="error" role="alert"></p></form>`,
      }),
    },
    {
      path: '/accounts',
      access: ['operator'],
      render: async () => ({
        title: 'Accounts',
        body: html`<table><thead><tr><th>Username</th><th>Name</th><th>Role</th><th>Tenant</th></tr></thead><tbody>${(await listAccounts(deps.db)).map((a) => html`<tr><td>${a.username}</td><td>${a.displayName}</td><td>${a.role}</td><td>${a.tenant ?? ''}</td></tr>`)}</tbody></table>
<h2>New account</h2>
<form class="stack" data-api="POST /api/accounts" data-then="reload">
<label>Username <input name="username" required minlength="2" maxlength="64"></label>
<label>Name <input name="displayName" maxlength="200"></label>
<label>Role <select name="role"><option>researcher</option><option>tenant-admin</option><option>operator</option></select></label>
<label>Tenant (tenant admins only) <input name="tenant" maxlength="100"></label>
<label>Password <input name="password" type="password" required minlength="8" maxlength="256" autocomplete="new-password"></label>
<button>Create</button><p class="error" role="alert"></p></form>
<p class="muted">Experts get their accounts from a survey's one-time invitation link.</p>`,
      }),
    },
    {
      path: '/explorer',
      access: ['operator', 'researcher'],
      render: async () => ({
        title: 'Latent explorer',
        body: html`<div class="explorer" id="explorer">
<form class="stack" id="explorer-controls">
<label>Generator <select name="run" id="generator"></select></label>
<label>Seed <input name="seed" type="number" min="0" value="0" id="seed"></label>
<label>Truncation ψ <input name="psi" type="range" min="0" max="1.5" step="0.05" value="1" id="psi"> <output for="psi">1</output></label>
<label id="class-row" hidden>Class <select name="class" id="class"></select></label>
<p class="muted" id="direction-source"></p>
<div id="sliders"></div>
</form>
<figure><img id="explorer-image" alt="the generator's image at these settings"><figcaption class="muted" id="explorer-status"></figcaption></figure>
</div>`,
      }),
    },
    {
      path: '/privacy',
      access: ['operator', 'researcher'],
      render: async ({ query }) => {
        if (typeof query.key === 'string') {
          const a = await finder.audit(query.key);
          if (!a) throw new HttpError(404, 'not-found', `no privacy audit at ${query.key}`);
          const key = encodeURIComponent(query.key);
          return {
            title: `Privacy audit: ${a.name}`,
            body: html`<dl class="facts"><dt>Feature space</dt><dd>${a.space}</dd><dt>Membership inference AUC</dt><dd>${a.membership ? `${num(a.membership.auc)} (${a.membership.members} members, ${a.membership.nonMembers} non-members; 0.5 = cannot tell)` : 'not run'}</dd><dt>Authenticity</dt><dd>${pct(a.authenticity)}</dd><dt>Copy threshold</dt><dd>${num(a.copyThreshold, 4)}</dd></dl>
<h2>Histograms</h2><div class="plots">${a.histograms.map((h) => html`<figure><figcaption>${h.name}</figcaption>${histogram(h.edges, h.counts)}</figure>`)}</div>
<h2>Closest pairs</h2><div class="pairs">${a.closestPairs.map((p, i) => html`<figure class="pair${p.flagged ? ' flagged' : ''}"><img alt="generated" src="/api/privacy/pair.png?key=${key}&amp;pair=${i}&amp;side=generated" loading="lazy"><img alt="real ${p.realId}" src="/api/privacy/pair.png?key=${key}&amp;pair=${i}&amp;side=real" loading="lazy"><figcaption>distance ${num(p.distance, 4)}${p.flagged ? ' — flagged as a possible copy' : ''}<br>${p.realId}</figcaption></figure>`)}</div>`,
          };
        }
        const audits = await finder.audits();
        return {
          title: 'Privacy',
          body: audits.length
            ? html`<table><thead><tr><th>Audit</th><th>Space</th><th>Membership AUC</th><th>Authenticity</th><th>Flagged pairs</th></tr></thead><tbody>${audits.map(({ key, value }) => html`<tr><td><a href="/privacy?key=${encodeURIComponent(key)}">${value.name}</a></td><td>${value.space}</td><td>${num(value.membership?.auc)}</td><td>${pct(value.authenticity)}</td><td>${value.closestPairs.filter((p) => p.flagged).length}</td></tr>`)}</tbody></table>`
            : html`<p class="muted">No privacy audit has run yet: the projector's audit leaves <code>projections/&lt;name&gt;/privacy-audit.json</code> in the store, and it shows here.</p>`,
        };
      },
    },
  ];
}

/** A histogram as SVG bars (server-side: no script needed). */
function histogram(edges: number[], counts: number[]) {
  const max = Math.max(1, ...counts);
  const w = 400 / counts.length;
  return html`<svg viewBox="0 0 400 140" role="img" aria-label="histogram">${counts.map((c, i) => html`<rect x="${(i * w).toFixed(1)}" y="${(120 - (c / max) * 110).toFixed(1)}" width="${Math.max(1, w - 1).toFixed(1)}" height="${((c / max) * 110).toFixed(1)}"><title>${num(edges[i], 4)}–${num(edges[i + 1], 4)}: ${c}</title></rect>`)}<text x="0" y="136">${num(edges[0], 3)}</text><text x="400" y="136" text-anchor="end">${num(edges.at(-1), 3)}</text></svg>`;
}
