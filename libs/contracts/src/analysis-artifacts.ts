import { z } from 'zod';
import { ArtifactRef, FolderRef } from './artifact.ts';

/**
 * The privacy audit as the portal reads it (one home for its shape; the latent directions the
 * explorer reads are latent-directions.ts, the explainer's). The audit writes it as JSON into the
 * store as `projections/<name>/privacy-audit.json`; the portal finds it there by listing.
 */
export const PRIVACY_AUDIT_FILE = 'privacy-audit.json';

/** A privacy audit of a generator: nearest real neighbours of generated images, membership inference. */
export const PrivacyAudit = z.object({
  format: z.literal('dermagan.privacy-audit/v1'),
  /** What was audited (run or model name). */
  name: z.string().min(1),
  checkpoint: FolderRef.nullable(),
  /** Feature space the distances are in (e.g. `inception-2015-pool3`, `lpips-vgg16`). */
  space: z.string().min(1),
  /** Membership inference through the projector: AUC of telling members from non-members (0.5 = cannot). */
  membership: z.object({ auc: z.number().min(0).max(1), members: z.number().int().nonnegative(), nonMembers: z.number().int().nonnegative() }).nullable(),
  /** Share of generated samples closer to a training sample than that sample's nearest other training sample (Alaa et al.). */
  authenticity: z.number().min(0).max(1).nullable(),
  /** Distance under which a generated image is flagged as a possible copy. */
  copyThreshold: z.number().nonnegative().nullable(),
  /** The closest generated/real pairs, closest first, with their images (PNG in the store). */
  closestPairs: z.array(
    z.object({
      generated: ArtifactRef,
      real: ArtifactRef,
      /** The real image's id in its dataset. */
      realId: z.string(),
      distance: z.number().nonnegative(),
      flagged: z.boolean(),
    }),
  ),
  /** Distance histograms (e.g. generated→nearest train, train→nearest other train, test→nearest train). */
  histograms: z.array(
    z.object({
      name: z.string(),
      /** bins + 1 ascending edges. */
      edges: z.array(z.number()).min(2),
      counts: z.array(z.number().int().nonnegative()),
    }).refine((h) => h.counts.length === h.edges.length - 1, { message: 'a histogram needs one more edge than counts' }),
  ),
});
export type PrivacyAudit = z.infer<typeof PrivacyAudit>;
