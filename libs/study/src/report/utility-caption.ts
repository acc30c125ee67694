/**
 * Table 2's caption: which network the utility classifiers were and how they started (ImageNet-
 * pretrained or from scratch), as each row's provenance records it (`backbone`, written by
 * libs/classifier), beside what the paper used.
 */
import type { StudyResults } from '../results.ts';
import { escapeHtml } from './html.ts';

export const PAPER_CLASSIFIER =
  'The paper fine-tuned an ImageNet-pretrained EfficientNet-B2; no ImageNet B2 weights are reachable here, so the pretrained network is EfficientNet-Lite2 (the nearest pretrained EfficientNet) and B2 trains from scratch.';

export function utilityCaption(results: Pick<StudyResults, 'utility' | 'preset'>): string {
  const named = [...new Set(results.utility.map((u) => u.provenance.backbone).filter((b): b is string => typeof b === 'string'))];
  const arch = (results.preset as { classifier?: { arch?: unknown } }).classifier?.arch;
  const text = named.length > 0 ? named.join('; ') : `${typeof arch === 'string' ? arch : 'unknown network'} (its pretraining was not recorded)`;
  return `<p class="caption">Classifier: ${escapeHtml(text)}. ${PAPER_CLASSIFIER}</p>`;
}
