/**
 * The study's steps, in the order the report tells them. Each entry makes the steps of one kind
 * for a preset; adding a step is a file beside this one and a line here (README.md).
 */
import type { StepFactory, StudyPlan, StudyStep } from '../step.ts';
import { auditSteps } from './audit.ts';
import { explainSteps } from './explain.ts';
import { federationSteps } from './federate.ts';
import { fidelitySteps } from './fidelity.ts';
import { generateSteps } from './generate.ts';
import { ingestSteps, tenantIngestSteps } from './ingest.ts';
import { pplSteps } from './ppl.ts';
import { trainSteps } from './train.ts';
import { utilitySteps } from './utility.ts';

export const STUDY_STEPS: readonly StepFactory[] = [
  ingestSteps,
  trainSteps,
  generateSteps,
  fidelitySteps,
  pplSteps,
  utilitySteps,
  tenantIngestSteps,
  federationSteps,
  auditSteps,
  explainSteps,
];

/** Every step of a study for a plan. */
export function planSteps(plan: StudyPlan, factories: readonly StepFactory[] = STUDY_STEPS): StudyStep[] {
  return factories.flatMap((make) => make(plan));
}
