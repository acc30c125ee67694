/** The runs list and one run's page (curves, snapshots with grids, federation rounds), live. */
import type { PortalDeps } from '../deps.ts';
import { runDetail } from '../api/runs.ts';
import { listRuns } from '../runs/repository.ts';
import { html, jsonBlock, num } from './html.ts';
import type { Page } from './page.ts';

const READERS = ['operator', 'researcher', 'tenant-admin'] as const;

/** Series plotted on a training's page (the trainer's history names; `fid*` = every snapshot FID the trainer computes). */
export const CURVES = [
  { title: 'FID (snapshots)', keys: ['fid*'] },
  { title: 'Losses', keys: ['lossG', 'lossD'] },
  { title: 'Regularisers', keys: ['r1', 'pl'] },
  { title: 'ADA p', keys: ['adaP'] },
  { title: 'Speed (kimg/s)', keys: ['kimgPerSec'] },
];

export function runPages(deps: PortalDeps): Page[] {
  return [
    {
      path: '/runs',
      access: READERS,
      render: async ({ principal }) => {
        const { runs, total } = await listRuns(deps.db, principal!, { limit: 1000 });
        const rows = runs.map(
          (r) => html`<tr data-run="${r.id}"><td><a href="/runs/${encodeURIComponent(r.id)}">${r.name}</a></td><td>${r.kind}</td><td>${r.study ?? ''}</td><td class="status ${r.status}" data-field="status">${r.status}</td><td data-field="progress">${progress(r.summary)}</td><td>${r.updatedAt.toISOString().replace('T', ' ').slice(0, 19)}</td></tr>`,
        );
        return {
          title: 'Runs',
          body: html`<p class="muted">${total} run${total === 1 ? '' : 's'}${total > runs.length ? ` (the latest ${runs.length} shown)` : ''}; updates arrive live.</p>
<table class="runs" data-live="all"><thead><tr><th>Run</th><th>Kind</th><th>Study</th><th>Status</th><th>Progress</th><th>Updated (UTC)</th></tr></thead><tbody>${rows}</tbody></table>`,
        };
      },
    },
    {
      path: '/runs/:id',
      access: READERS,
      render: async ({ principal, params }) => {
        const d = await runDetail(deps, principal!, params.id!);
        const r = d.run;
        const s = r.summary as Record<string, unknown>;
        const scores = (s.scores ?? {}) as Record<string, number>;
        const body = html`
<dl class="facts" data-live="${r.id}">
  <dt>Kind</dt><dd>${r.kind}</dd>
  <dt>Status</dt><dd class="status ${r.status}" data-field="status">${r.status}</dd>
  ${r.kind === 'training' ? html`<dt>kimg</dt><dd data-field="kimg">${num(s.kimg, 2)}</dd><dt>of</dt><dd>${num(s.totalKimg, 2)}</dd><dt>ADA p</dt><dd data-field="adaP">${num(s.adaP)}</dd>` : ''}
  ${r.kind === 'federation' ? html`<dt>Round</dt><dd data-field="round">${num(s.round)}</dd><dt>of</dt><dd>${num(s.rounds)}</dd><dt>Strategy</dt><dd>${String(s.strategy ?? '')}${s.secagg ? ' (secure aggregation)' : ''}</dd>` : ''}
  ${Object.entries(scores).map(([k, v]) => html`<dt>${k}</dt><dd>${num(v, 4)}</dd>`)}
</dl>
${r.kind === 'training' ? html`${jsonBlock('ticks', d.ticks)}<div class="plots">${CURVES.map((c) => html`<figure><figcaption>${c.title}</figcaption><svg data-plot="${c.keys.join(',')}" viewBox="0 0 400 160" role="img" aria-label="${c.title}"></svg></figure>`)}</div>
<h2>Snapshots</h2>
<div class="snapshots" id="snapshots">${d.snapshots.map((x) => snapshot(r.id, x))}</div>` : ''}
${r.kind === 'federation' ? rounds(d.rounds) : ''}
${r.kind === 'study' ? html`<h2>Runs of this study</h2><ul>${d.children.map((c) => html`<li><a href="/runs/${encodeURIComponent(c.id)}">${c.name}</a> — ${c.kind}, ${c.status}</li>`)}</ul>
<p><a href="/api/runs/${encodeURIComponent(r.id)}/report">The study report</a> (when the study has left it in the store)</p>` : ''}`;
        return { title: `${r.kind} ${r.name}`, body };
      },
    },
  ];
}

function progress(s: Record<string, unknown>): string {
  if (typeof s.kimg === 'number') return `${num(s.kimg, 2)} / ${num(s.totalKimg, 2)} kimg`;
  if (typeof s.round === 'number') return `round ${s.round} / ${num(s.rounds)}`;
  return '';
}

function snapshot(runId: string, x: { kimg: number; grid: boolean; gridError: string | null }) {
  return html`<figure class="snapshot"><figcaption>${num(x.kimg, 2)} kimg</figcaption>${
    x.grid
      ? html`<a href="/api/runs/${encodeURIComponent(runId)}/snapshots/${x.kimg}/grid.png"><img alt="sample grid at ${num(x.kimg, 2)} kimg" src="/api/runs/${encodeURIComponent(runId)}/snapshots/${x.kimg}/grid.png" loading="lazy"></a>`
      : html`<p class="muted">${x.gridError ?? 'grid being rendered…'}</p>`
  }</figure>`;
}

function rounds(list: Array<Record<string, unknown>>) {
  const names = (xs: unknown) => (Array.isArray(xs) ? xs.join(', ') : '');
  const rejected = (xs: unknown) =>
    Array.isArray(xs) ? Object.entries(xs.reduce<Record<string, number>>((acc, r) => ({ ...acc, [(r as { reason: string }).reason]: (acc[(r as { reason: string }).reason] ?? 0) + 1 }), {})).map(([k, v]) => `${k} ×${v}`).join(', ') : '';
  const norms = (o: unknown) => (o && typeof o === 'object' ? Object.entries(o as Record<string, number>).map(([k, v]) => `${k}: ${num(v, 3)}`).join(', ') : '');
  return html`<h2>Rounds</h2>
<table class="rounds" id="rounds"><thead><tr><th>Round</th><th>Attempt</th><th>Participants</th><th>Accepted</th><th>Dropped</th><th>Rejected (by reason)</th><th>Update norms</th><th>Aggregated</th></tr></thead>
<tbody>${list.map((r) => html`<tr><td>${num(r.round)}</td><td>${num(r.attempt)}</td><td>${names(r.participants)}</td><td>${names(r.accepted)}</td><td>${names(r.dropped)}</td><td>${rejected(r.rejected)}</td><td>${norms(r.updateNorms)}</td><td>${r.aggregated ? 'yes' : 'no'}</td></tr>`)}</tbody></table>`;
}
