/** The expert's pages: accepting the invitation, and the survey itself (one image at a time). */
import { tokenHash } from '@dermagan/auth';
import { getSurvey, peekInvitation, SurveyRefusal } from '@dermagan/survey';
import type { PortalDeps } from '../deps.ts';
import { html } from './html.ts';
import type { Page } from './page.ts';

export function expertPages(deps: PortalDeps): Page[] {
  return [
    {
      path: '/invite/:token',
      access: 'public',
      render: async ({ params, principal }) => {
        const token = params.token ?? '';
        let invitation;
        try {
          invitation = /^[A-Za-z0-9_-]{43}$/.test(token) ? await peekInvitation(deps.db, tokenHash(token)) : null;
        } catch (err) {
          if (err instanceof SurveyRefusal) return { title: 'Invitation', body: html`<p class="error">${err.message}.</p>` };
          throw err;
        }
        if (!invitation) return { title: 'Invitation', body: html`<p class="error">This invitation link is not valid; ask the survey operator for a new one.</p>` };
        return {
          title: invitation.surveyTitle,
          body: html`<p>Welcome, ${invitation.displayName}. You will see images of skin lesions one at a time, in your own order, and say whether each is a <strong>real</strong> photograph or a <strong>synthetic</strong> one made by a generative model, and how sure you are. You can stop at any time and come back later by signing in. Nobody sees your answers, and you will not see the truth, until the operator closes the survey.</p>
${principal ? html`<p class="muted">You are signed in as ${principal.username}; accepting signs you in as the new expert account instead.</p>` : ''}
<p>This link works once: choose the username and password you will sign in with.</p>
<form class="stack" data-api="POST /api/invitations/${token}" data-then="go:/survey">
<label>Username <input name="username" required minlength="2" maxlength="64" autocomplete="username" pattern="[a-zA-Z0-9][a-zA-Z0-9._@-]{1,63}"></label>
<label>Password (8 characters or more) <input name="password" type="password" required minlength="8" maxlength="256" autocomplete="new-password"></label>
<button>Start the survey</button><p class="error" role="alert"></p></form>`,
        };
      },
    },
    {
      path: '/survey',
      access: ['expert'],
      render: async ({ principal }) => {
        const survey = (await getSurvey(deps.db, principal!.surveyId!))!;
        const classQuestion = survey.config.askClass === true;
        if (survey.state === 'closed') {
          return { title: survey.title, body: html`<p>The survey is closed. Thank you.</p><div id="own-results" data-load="/api/expert/results"></div>` };
        }
        return {
          title: survey.title,
          body: html`<div id="survey" class="survey" data-ask-class="${classQuestion ? 'yes' : 'no'}" data-labels="${JSON.stringify(survey.labels)}">
<p class="progress"><span id="position">…</span> <span class="muted" id="survey-message"></span></p>
<figure class="lesion"><img id="lesion" alt="a skin lesion to judge" width="${String(survey.config.displaySize ?? 256)}" height="${String(survey.config.displaySize ?? 256)}"></figure>
<form id="answer" class="answer">
<fieldset><legend>This image is</legend>
<label><input type="radio" name="judged" value="real" required> real</label>
<label><input type="radio" name="judged" value="synthetic" required> synthetic</label></fieldset>
<fieldset><legend>How sure are you?</legend>${[1, 2, 3, 4, 5].map((c) => html`<label><input type="radio" name="confidence" value="${c}" required> ${c}${c === 1 ? ' (guessing)' : c === 5 ? ' (certain)' : ''}</label>`)}</fieldset>
${classQuestion ? html`<fieldset><legend>Class (optional)</legend>${survey.labels.map((l, i) => html`<label><input type="radio" name="classAnswer" value="${i}"> ${l}</label>`)}</fieldset>` : ''}
<button id="submit-answer">Answer and next</button>
<p class="error" role="alert"></p>
</form>
<p class="muted">Pause whenever you like: close this page and sign in again later; you continue with the next image.</p>
</div>`,
        };
      },
    },
  ];
}

