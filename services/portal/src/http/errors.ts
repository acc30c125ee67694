/**
 * What a refused request answers: an HTTP status, a short machine-readable code and a sentence
 * for the person (`{ error, reason }`). Library refusals map here in one place.
 */
import { AccountError } from '@dermagan/auth';
import { SurveyPlanError, SurveyRefusal, type RefusalReason } from '@dermagan/survey';

export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    /** Machine-readable, e.g. `forbidden`, `already-answered`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const REFUSAL_STATUS: Record<RefusalReason, number> = {
  'survey-not-found': 404,
  'survey-paused': 409,
  'survey-closed': 409,
  'not-your-image': 403,
  'already-answered': 409,
  'out-of-order': 409,
  'invalid-answer': 400,
  'invitation-invalid': 404,
  'invitation-used': 410,
  'invitation-expired': 410,
  'bad-transition': 409,
};

/** The HttpError for an error a handler threw, or null when it is not a refusal (a 500). */
export function toHttpError(err: unknown): HttpError | null {
  if (err instanceof HttpError) return err;
  if (err instanceof SurveyRefusal) return new HttpError(REFUSAL_STATUS[err.reason], err.reason, err.message);
  if (err instanceof AccountError) return new HttpError(400, 'invalid-account', err.message);
  if (err instanceof SurveyPlanError) return new HttpError(422, 'cannot-plan-survey', err.message);
  return null;
}
