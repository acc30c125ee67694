/** Schemas of the API's answers that several routes share. */
import { ROLES } from '@dermagan/auth';
import { z } from 'zod';

export const PrincipalView = z.object({
  accountId: z.string(),
  username: z.string(),
  displayName: z.string(),
  role: z.enum(ROLES),
  tenant: z.string().nullable(),
  surveyId: z.string().nullable(),
});

export const Json = z.record(z.string(), z.unknown());

export const RunView = z.object({
  id: z.string(),
  kind: z.enum(['training', 'federation', 'study']),
  name: z.string(),
  study: z.string().nullable(),
  status: z.enum(['requested', 'running', 'completed', 'failed']),
  startedAt: z.string(),
  updatedAt: z.string(),
  summary: Json,
});

export const SurveyView = z.object({
  id: z.string(),
  title: z.string(),
  state: z.enum(['open', 'paused', 'closed']),
  config: Json,
  labels: z.array(z.string()),
  createdAt: z.string(),
  closedAt: z.string().nullable(),
});

/** A run id or survey id in a path. */
export const IdParam = z.object({ id: z.string().min(1).max(300) });
