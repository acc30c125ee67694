/** The survey's answers as CSV: one row per answer, with the truth (formula-safe cells). */
import { toCsv } from '@dermagan/safe-io';
import type { StoredAnswer } from './repository.ts';

export const ANSWER_COLUMNS = [
  'expert', 'expert_name', 'position', 'image', 'truth', 'class', 'judged', 'correct', 'confidence', 'class_answer', 'seconds', 'answered_at', 'dataset', 'dataset_image',
] as const;

export function answersCsv(answers: readonly StoredAnswer[], labels: readonly string[]): string {
  return toCsv(
    ANSWER_COLUMNS,
    answers.map((a) => [
      a.username,
      a.displayName,
      a.position + 1,
      a.item,
      a.truth,
      labels[a.label] ?? String(a.label),
      a.judged,
      a.judged === a.truth,
      a.confidence,
      a.classAnswer === null ? null : (labels[a.classAnswer] ?? String(a.classAnswer)),
      a.elapsedMs / 1000,
      a.answeredAt.toISOString(),
      typeof a.origin.dataset === 'string' ? a.origin.dataset : null,
      typeof a.origin.image === 'string' ? a.origin.image : null,
    ]),
    { eol: '\r\n' },
  );
}
