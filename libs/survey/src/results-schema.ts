/**
 * The survey's results as JSON (one home for their shape): what the portal answers on
 * `GET /api/surveys/:id/results` (with the survey it belongs to), and what `dermagan study
 * --survey FILE` reads back to put the survey's section into the study report.
 */
import { z } from 'zod';

const ExpertResult = z.object({
  expert: z.string(), answered: z.number(), correct: z.number(), accuracy: z.number().nullable(), accuracyCi: z.tuple([z.number(), z.number()]).nullable(),
  pVsChance: z.number().nullable(), sensitivity: z.number().nullable(), specificity: z.number().nullable(), classAccuracy: z.number().nullable(),
  meanConfidence: z.number().nullable(), confidentAccuracy: z.number().nullable(), medianSeconds: z.number().nullable(), meanSeconds: z.number().nullable(),
});
const Counts = z.object({ real: z.number(), synthetic: z.number() });

/** stats/results.ts `SurveyResults`, as JSON. */
export const SurveyResultsJson = z.object({
  experts: z.array(ExpertResult),
  meanAccuracy: z.number().nullable(),
  pooledAccuracy: z.number().nullable(),
  answers: z.number(),
  cohen: z.array(z.object({ a: z.string(), b: z.string(), items: z.number(), kappa: z.number().nullable() })),
  fleiss: z.object({ kappa: z.number().nullable(), items: z.number(), raters: z.number() }).nullable(),
  confusionByClass: z.array(z.object({ label: z.number(), counts: z.object({ real: Counts, synthetic: Counts }), accuracy: z.number().nullable() })),
});

/** The portal's results export as the study reads it: the results and the survey's title, state and class names. */
export const SurveyExport = SurveyResultsJson.extend({
  survey: z.object({ title: z.string(), state: z.string(), labels: z.array(z.string()), closedAt: z.string().nullable() }).loose(),
});
export type SurveyExport = z.output<typeof SurveyExport>;

/** What the study found, shown beside a survey's results. */
export const PAPER_SURVEY = 'The study: 200 images, 4 experts (2 dermatologists, 2 deep-learning experts), mean accuracy 54 %.';
