/**
 * The survey as an expert takes it: accept the one-time invitation (choosing a password, so the
 * survey can be paused and resumed from any browser), see one image at a time in its own order,
 * answer, and — only after the operator closed the survey — its own result.
 */
import { createAccount, createSession, tokenHash } from '@dermagan/auth';
import { acceptInvitation, expertProgress, getSurvey, isAssigned, peekInvitation, submitAnswer, surveyAnswers, surveyResults } from '@dermagan/survey';
import { z } from 'zod';
import { SESSION_COOKIE, setCookie } from '../http/cookies.ts';
import { HttpError } from '../http/errors.ts';
import { route } from '../http/route.ts';
import type { PortalDeps } from '../deps.ts';
import { PrincipalView } from './schemas.ts';

const TokenParam = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'not an invitation token') });

const Progress = z.object({
  survey: z.object({ title: z.string(), state: z.enum(['open', 'paused', 'closed']), labels: z.array(z.string()), askClass: z.boolean() }),
  total: z.number(),
  answered: z.number(),
  next: z.object({ itemId: z.string(), position: z.number(), image: z.string() }).nullable(),
});

export function expertRoutes(deps: PortalDeps) {
  async function progress(surveyId: string, accountId: string): Promise<z.input<typeof Progress>> {
    const survey = (await getSurvey(deps.db, surveyId))!;
    const p = await expertProgress(deps.db, surveyId, accountId);
    return {
      survey: { title: survey.title, state: survey.state, labels: survey.labels, askClass: survey.config.askClass === true },
      total: p.total,
      answered: p.answered,
      next: p.next ? { itemId: p.next.itemId, position: p.next.position, image: `/api/expert/images/${p.next.itemId}` } : null,
    };
  }

  return [
    route({
      method: 'get',
      path: '/api/invitations/:token',
      tag: 'expert',
      summary: 'What an invitation link is for (refused when used, expired or unknown)',
      access: 'public',
      params: TokenParam,
      response: z.object({ surveyTitle: z.string(), displayName: z.string() }),
      handle: async ({ params }) => {
        const v = await peekInvitation(deps.db, tokenHash(params.token));
        return { surveyTitle: v.surveyTitle, displayName: v.displayName };
      },
    }),
    route({
      method: 'post',
      path: '/api/invitations/:token',
      tag: 'expert',
      summary: 'Accept an invitation once: creates the expert account (sees only its survey) and signs it in',
      access: 'public',
      params: TokenParam,
      body: z.object({ username: z.string().min(2).max(64), password: z.string().min(8).max(256) }),
      response: z.object({ principal: PrincipalView, csrfToken: z.string() }),
      handle: async ({ params, body, res }) => {
        const principal = await acceptInvitation(deps.db, tokenHash(params.token), (tx, inv) =>
          createAccount(tx, { username: body.username, displayName: inv.displayName, role: 'expert', surveyId: inv.surveyId, password: body.password }),
        );
        const session = await createSession(deps.db, principal, deps.sessions);
        setCookie(res, SESSION_COOKIE, session.token, { secure: deps.secureCookies, maxAgeS: deps.sessions.absoluteS });
        return { principal, csrfToken: session.csrfToken };
      },
    }),
    route({
      method: 'get',
      path: '/api/expert/progress',
      tag: 'expert',
      summary: 'Where the expert stands, and the image to judge now (its time starts now)',
      access: ['expert'],
      response: Progress,
      handle: async ({ principal }) => progress(principal!.surveyId!, principal!.accountId),
    }),
    route({
      method: 'post',
      path: '/api/expert/answers',
      tag: 'expert',
      summary: 'Answer the current image: real or synthetic, confidence 1–5, optionally the class; refused with a reason (nothing stored) when replayed, not yours, out of order, or the survey is paused or closed',
      access: ['expert'],
      body: z.object({
        itemId: z.string().min(1).max(100),
        judged: z.enum(['real', 'synthetic']),
        confidence: z.coerce.number().int().min(1).max(5),
        classAnswer: z.coerce.number().int().min(0).nullable().default(null),
      }),
      response: z.object({ stored: z.literal(true), elapsedMs: z.number(), progress: Progress }),
      handle: async ({ principal, body }) => {
        const { elapsedMs } = await submitAnswer(deps.db, principal!.surveyId!, principal!.accountId, body);
        return { stored: true as const, elapsedMs, progress: await progress(principal!.surveyId!, principal!.accountId) };
      },
    }),
    route({
      method: 'get',
      path: '/api/expert/images/:itemId',
      tag: 'expert',
      summary: "One of the expert's own survey images (PNG); any other id is refused",
      access: ['expert'],
      params: z.object({ itemId: z.string().min(1).max(100) }),
      produces: 'image/png',
      handle: async ({ principal, params, res }) => {
        const image = await isAssigned(deps.db, principal!.accountId, params.itemId);
        if (!image) throw new HttpError(403, 'not-your-image', 'this image is not one of your survey’s images');
        const bytes = await deps.store.getBytes(image.bucket as string, image.key as string);
        res.type('image/png').set('Cache-Control', 'private, max-age=86400, immutable').send(bytes);
      },
    }),
    route({
      method: 'get',
      path: '/api/expert/results',
      tag: 'expert',
      summary: "The expert's own result and the survey's summary, once the survey is closed",
      access: ['expert'],
      response: z.object({ accuracy: z.number().nullable(), answered: z.number(), meanAccuracy: z.number().nullable(), experts: z.number() }),
      handle: async ({ principal }) => {
        const survey = (await getSurvey(deps.db, principal!.surveyId!))!;
        if (survey.state !== 'closed') throw new HttpError(409, 'survey-open', 'results are shown once the operator closes the survey');
        const results = surveyResults(await surveyAnswers(deps.db, survey.id));
        const mine = results.experts.find((e) => e.expert === principal!.username);
        return { accuracy: mine?.accuracy ?? null, answered: mine?.answered ?? 0, meanAccuracy: results.meanAccuracy, experts: results.experts.length };
      },
    }),
  ];
}
