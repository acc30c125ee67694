/** Surveys for operators and researchers: the list with the create form, and one survey's page. */
import { getSurvey, listSurveys, PAPER_SURVEY, surveyProgress, surveySection } from '@dermagan/survey';
import type { PortalDeps } from '../deps.ts';
import { closedSurvey, resultsOf } from '../api/surveys.ts';
import { HttpError } from '../http/errors.ts';
import { listDatasets } from '../runs/repository.ts';
import { html, Html, num } from './html.ts';
import type { Page } from './page.ts';

const VIEWERS = ['operator', 'researcher'] as const;

export function surveyPages(deps: PortalDeps): Page[] {
  return [
    {
      path: '/surveys',
      access: VIEWERS,
      render: async ({ principal }) => {
        const surveys = await listSurveys(deps.db);
        const datasets = await listDatasets(deps.db);
        const options = (kind: 'real' | 'synthetic') =>
          datasets.filter((d) => d.kind === kind).map((d) => html`<option value="${d.bucket}/${d.prefix}">${d.name} (${d.count} images, ${d.bucket}/${d.prefix})</option>`);
        const create = principal!.role === 'operator'
          ? html`<h2>New survey</h2>
<form class="stack" data-api="POST /api/surveys" data-then="go:/surveys/{id}" data-shape="survey">
  <label>Title <input name="title" required maxlength="200" value="Real or synthetic?"></label>
  <label>Real dataset <input name="real" required list="real-datasets" placeholder="bucket/prefix/"></label>
  <datalist id="real-datasets">${options('real')}</datalist>
  <label>Synthetic dataset <input name="synthetic" required list="synthetic-datasets" placeholder="bucket/prefix/"></label>
  <datalist id="synthetic-datasets">${options('synthetic')}</datalist>
  <label>Images <input name="n" type="number" min="2" max="5000" value="200" required></label>
  <label>Share of synthetic images <input name="syntheticShare" type="number" min="0" max="1" step="0.05" value="0.5"></label>
  <label>Share of each class (comma-separated, by label; empty = as drawn) <input name="classShares" placeholder="0.5,0.5"></label>
  <label>Seed <input name="seed" type="number" min="0" value="0"></label>
  <label><input name="askClass" type="checkbox"> Ask for the class too (benign / melanoma)</label>
  <button>Create</button><p class="error" role="alert"></p>
</form>`
          : '';
        return {
          title: 'Surveys',
          body: html`<table><thead><tr><th>Survey</th><th>State</th><th>Images</th><th>Experts</th><th>Answers</th><th>Created</th></tr></thead><tbody>${surveys.map(
            (s) => html`<tr><td><a href="/surveys/${s.id}">${s.title}</a></td><td class="status ${s.state}">${s.state}</td><td>${s.items}</td><td>${s.experts}</td><td>${s.answers}</td><td>${s.createdAt.toISOString().slice(0, 10)}</td></tr>`,
          )}</tbody></table>${create}`,
        };
      },
    },
    {
      path: '/surveys/:id',
      access: VIEWERS,
      render: async ({ principal, params }) => {
        const survey = await getSurvey(deps.db, params.id!);
        if (!survey) throw new HttpError(404, 'not-found', `no survey ${params.id}`);
        const operator = principal!.role === 'operator';
        const experts = await surveyProgress(deps.db, survey.id);
        const controls = operator && survey.state !== 'closed'
          ? html`<div class="controls">
${survey.state === 'open' ? html`<form data-api="POST /api/surveys/${survey.id}/state" data-then="reload"><input type="hidden" name="state" value="paused"><button>Pause</button></form>` : html`<form data-api="POST /api/surveys/${survey.id}/state" data-then="reload"><input type="hidden" name="state" value="open"><button>Resume</button></form>`}
<form data-api="POST /api/surveys/${survey.id}/state" data-then="reload" data-confirm="Close the survey? Nobody can answer afterwards, and the results are unsealed."><input type="hidden" name="state" value="closed"><button class="danger">Close and unseal the results</button></form>
</div>
<h2>Invite an expert</h2>
<form class="inline" data-api="POST /api/surveys/${survey.id}/invitations" data-then="show-link"><label>Name <input name="displayName" required maxlength="200" placeholder="Dr …"></label><button>Make a one-time link</button><p class="error" role="alert"></p><p class="invite-link"></p></form>`
          : '';
        const results = survey.state === 'closed' ? resultsSection(await resultsOf(deps, await closedSurvey(deps, survey.id)), survey.id, survey.labels) : html`<p class="muted">Answers and results stay sealed until the survey is closed.</p>`;
        const c = survey.config as Record<string, unknown>;
        return {
          title: survey.title,
          body: html`<dl class="facts"><dt>State</dt><dd class="status ${survey.state}" id="survey-state">${survey.state}</dd><dt>Images</dt><dd>${num(c.n)}</dd><dt>Synthetic share</dt><dd>${num(c.syntheticShare, 2)}</dd><dt>Shown at</dt><dd>${num(c.displaySize)} px (trained at ${num(c.trainingSize)} px)</dd><dt>Class question</dt><dd>${c.askClass ? 'yes' : 'no'}</dd></dl>
${controls}
<h2>Experts</h2>
<table><thead><tr><th>Expert</th><th>Username</th><th>Answered</th></tr></thead><tbody>${experts.map((e) => html`<tr><td>${e.displayName}</td><td>${e.username}</td><td>${e.answered} / ${e.total}</td></tr>`)}</tbody></table>
${results}`,
        };
      },
    },
  ];
}

/** The results (libs/survey's one renderer, also the study report's section) and the exports. */
function resultsSection(r: Awaited<ReturnType<typeof resultsOf>>, id: string, labels: string[]) {
  return html`${new Html(surveySection(r, { labels, reference: PAPER_SURVEY }))}
<p><a href="/api/surveys/${id}/answers.csv" download>Every answer as CSV</a> · <a href="/api/surveys/${id}/results">as JSON</a> · <a href="/api/surveys/${id}/report-section.html" download>as a report section</a></p>`;
}
