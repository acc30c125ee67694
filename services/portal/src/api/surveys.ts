/**
 * The survey as the operator runs it: create, invite, pause/resume/close, follow progress (counts
 * only while open), and — once closed — results and the CSV export, for operators and researchers.
 */
import { tokenHash } from '@dermagan/auth';
import { answersCsv, createInvitation, getSurvey, listSurveys, setSurveyState, surveyAnswers, surveyProgress, surveyResults, surveySection, SurveyResultsJson, PAPER_SURVEY, type SurveyRow } from '@dermagan/survey';
import { z } from 'zod';
import { HttpError } from '../http/errors.ts';
import { route } from '../http/route.ts';
import type { PortalDeps } from '../deps.ts';
import { buildSurvey, CreateSurveyInput } from '../survey/create.ts';
import { IdParam, SurveyView } from './schemas.ts';

export function surveyView(s: SurveyRow) {
  return { id: s.id, title: s.title, state: s.state, config: s.config, labels: s.labels, createdAt: s.createdAt.toISOString(), closedAt: s.closedAt?.toISOString() ?? null };
}

export const ResultsView = SurveyResultsJson.extend({ survey: SurveyView });

/** A closed survey (results and answers are sealed until then). */
export async function closedSurvey(deps: PortalDeps, id: string): Promise<SurveyRow> {
  const survey = await getSurvey(deps.db, id);
  if (!survey) throw new HttpError(404, 'not-found', `no survey ${id}`);
  if (survey.state !== 'closed') throw new HttpError(409, 'survey-open', 'results are sealed until the operator closes the survey');
  return survey;
}

export async function resultsOf(deps: PortalDeps, survey: SurveyRow) {
  return { survey: surveyView(survey), ...surveyResults(await surveyAnswers(deps.db, survey.id)) };
}

export function surveyRoutes(deps: PortalDeps) {
  return [
    route({
      method: 'get',
      path: '/api/surveys',
      tag: 'survey',
      summary: 'Every survey with its image, expert and answer counts',
      access: ['operator', 'researcher'],
      response: z.object({ surveys: z.array(SurveyView.extend({ items: z.number(), experts: z.number(), answers: z.number() })) }),
      handle: async () => ({ surveys: (await listSurveys(deps.db)).map((s) => ({ ...surveyView(s), items: s.items, experts: s.experts, answers: s.answers })) }),
    }),
    route({
      method: 'post',
      path: '/api/surveys',
      tag: 'survey',
      summary: 'Create a survey from a real and a synthetic dataset in the store',
      access: ['operator'],
      body: CreateSurveyInput,
      response: z.object({ id: z.string() }),
      handle: async ({ body, principal }) => ({ id: await buildSurvey(deps, principal!, body) }),
    }),
    route({
      method: 'get',
      path: '/api/surveys/:id',
      tag: 'survey',
      summary: "A survey and each expert's progress (counts only: answers stay sealed until it is closed)",
      access: ['operator', 'researcher'],
      params: IdParam,
      response: z.object({ survey: SurveyView, experts: z.array(z.object({ username: z.string(), displayName: z.string(), answered: z.number(), total: z.number() })) }),
      handle: async ({ params }) => {
        const survey = await getSurvey(deps.db, params.id);
        if (!survey) throw new HttpError(404, 'not-found', `no survey ${params.id}`);
        const experts = (await surveyProgress(deps.db, survey.id)).map(({ accountId: _id, ...e }) => e);
        return { survey: surveyView(survey), experts };
      },
    }),
    route({
      method: 'post',
      path: '/api/surveys/:id/state',
      tag: 'survey',
      summary: 'Pause, resume or close a survey (closing is final and unseals the results)',
      access: ['operator'],
      params: IdParam,
      body: z.object({ state: z.enum(['open', 'paused', 'closed']) }),
      response: SurveyView,
      handle: async ({ params, body }) => {
        if (!(await getSurvey(deps.db, params.id))) throw new HttpError(404, 'not-found', `no survey ${params.id}`);
        return surveyView(await setSurveyState(deps.db, params.id, body.state));
      },
    }),
    route({
      method: 'post',
      path: '/api/surveys/:id/invitations',
      tag: 'survey',
      summary: 'Invite an expert: a one-time link (the token is shown once, only its hash is kept)',
      access: ['operator'],
      params: IdParam,
      body: z.object({ displayName: z.string().min(1).max(200) }),
      response: z.object({ path: z.string(), expiresAt: z.string() }),
      handle: async ({ params, body }) => {
        const survey = await getSurvey(deps.db, params.id);
        if (!survey) throw new HttpError(404, 'not-found', `no survey ${params.id}`);
        if (survey.state === 'closed') throw new HttpError(409, 'survey-closed', 'the survey is closed');
        const { token, expiresAt } = await createInvitation(deps.db, survey.id, body.displayName, deps.invitationTtlS, tokenHash);
        return { path: `/invite/${token}`, expiresAt: expiresAt.toISOString() };
      },
    }),
    route({
      method: 'get',
      path: '/api/surveys/:id/results',
      tag: 'survey',
      summary: "Results of a closed survey: per-expert accuracy, sensitivity to synthetic images, Cohen's and Fleiss' κ, confusion by class, time per image",
      access: ['operator', 'researcher'],
      params: IdParam,
      response: ResultsView,
      handle: async ({ params }) => resultsOf(deps, await closedSurvey(deps, params.id)),
    }),
    route({
      method: 'get',
      path: '/api/surveys/:id/report-section.html',
      tag: 'survey',
      summary: "A closed survey's results as the HTML section the study report includes (no script, no external resource)",
      access: ['operator', 'researcher'],
      params: IdParam,
      produces: 'text/html',
      handle: async ({ params, res }) => {
        const survey = await closedSurvey(deps, params.id);
        const section = surveySection(surveyResults(await surveyAnswers(deps.db, survey.id)), { labels: survey.labels, reference: PAPER_SURVEY });
        res
          .type('text/html; charset=utf-8')
          .set('Content-Disposition', `attachment; filename="survey-${survey.id}.html"`)
          .set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
          .send(section);
      },
    }),
    route({
      method: 'get',
      path: '/api/surveys/:id/answers.csv',
      tag: 'survey',
      summary: 'Every answer of a closed survey with the truth, as CSV (cells cannot become spreadsheet formulas)',
      access: ['operator', 'researcher'],
      params: IdParam,
      produces: 'text/csv',
      handle: async ({ params, res }) => {
        const survey = await closedSurvey(deps, params.id);
        res
          .type('text/csv; charset=utf-8')
          .set('Content-Disposition', `attachment; filename="survey-${survey.id}.csv"`)
          .send(answersCsv(await surveyAnswers(deps.db, survey.id), survey.labels));
      },
    }),
  ];
}
