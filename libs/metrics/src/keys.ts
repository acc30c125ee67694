/**
 * Result keys: one constant per reported number (torch-fidelity `KEY_METRIC_*`). A Fréchet
 * distance is `fid` only in the Inception-v3 pool3 space; in any other space it is
 * `fd_<extractor>` (see {@link frechetKey}).
 */
export const KEY_FID = 'fid';
export const KEY_KID = 'kid';
export const KEY_KID_STD = 'kid_std';
export const KEY_PRECISION = 'precision';
export const KEY_RECALL = 'recall';
export const KEY_DENSITY = 'density';
export const KEY_COVERAGE = 'coverage';
export const KEY_ALPHA_PRECISION = 'alpha_precision';
export const KEY_BETA_RECALL = 'beta_recall';
export const KEY_AUTHENTICITY = 'authenticity';
export const KEY_PPL = 'ppl';

/** A user-brought Inception-v3 (a tfjs model URI) whose Fréchet distance may be called FID. */
export const INCEPTION_POOL3_ID = 'inception-v3-pool3';
/** The 2015-12-05 Inception graph FID is defined in (provisioned by `npm run setup`). */
export const INCEPTION_2015_ID = 'inception-2015';
/** Feature spaces whose Fréchet distance is reported as `fid`. */
export const FID_SPACES: readonly string[] = [INCEPTION_2015_ID, INCEPTION_POOL3_ID];

/** `fid` for Inception pool3 features, `fd_<id>` (non-alphanumerics → `_`) otherwise. */
export function frechetKey(extractorId: string | undefined): string {
  if (extractorId !== undefined && FID_SPACES.includes(extractorId)) return KEY_FID;
  const id = (extractorId ?? 'features').toLowerCase().replace(/[^a-z0-9]+/g, '_');
  return `fd_${id}`;
}
