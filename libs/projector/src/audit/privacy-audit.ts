/**
 * The audit as the portal shows it (contracts `PrivacyAudit`, `privacy-audit.json`): the headline
 * numbers in the projector's space, the closest pairs as stored images, and the histograms
 * (projection distances of members and non-members; generated → nearest training image beside
 * training → nearest other training image).
 */
import type { ArtifactRef, FolderRef, PrivacyAudit } from '@dermagan/contracts';
import type { AuditResult } from './audit.ts';
import { sharedHistograms } from './histogram.ts';

/** Where the closest pairs' images were stored: the PNG files the audit wrote, by their path in its folder. */
export type StoredFile = (path: string) => Promise<ArtifactRef>;

export async function privacyAuditView(result: AuditResult, name: string, checkpoint: FolderRef | null, stored: StoredFile): Promise<PrivacyAudit> {
  const main = result.spaces[0]!;
  const copies = result.histograms.spaces[main.space]!;
  return {
    format: 'dermagan.privacy-audit/v1',
    name,
    checkpoint,
    space: main.space,
    membership: result.membership ? { auc: result.membership.auc, members: result.membership.members, nonMembers: result.membership.nonMembers } : null,
    authenticity: main.authenticity,
    copyThreshold: main.threshold,
    closestPairs: await Promise.all(
      main.closest.map(async (p, i) => ({
        generated: await stored(main.files.pairs[i]!.generated),
        real: await stored(main.files.pairs[i]!.training),
        realId: p.training,
        distance: p.distance,
        flagged: p.distance < main.threshold,
      })),
    ),
    histograms: [
      ...sharedHistograms({ 'projection distance: members': result.histograms.members, 'projection distance: non-members': result.histograms.nonMembers }),
      ...sharedHistograms({ 'generated → nearest training image': copies.generated, 'training → nearest other training image': copies.realToReal }),
    ],
  };
}
