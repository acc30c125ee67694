/**
 * The adaptive augmentation probability of ADA (Karras et al. 2020, arXiv:2006.06676, §3;
 * NVlabs `training/training_loop.py`, "Execute ADA heuristic").
 *
 * The overfitting heuristic r_t = E[sign(D(real_aug))] is accumulated over every real-image
 * logit the engine reports (all D phases that score reals) since the last update. After every
 * `interval`-th iteration (the reference updates when batch_idx % interval == 0, batch_idx
 * counting from 0, so right after the first iteration and then every `interval`):
 *
 *   p ← clamp(p + sign(r_t − target) · batch·interval / (kimg·1000), 0, maxP)
 *
 * so p can go from 0 to 1 in `kimg` thousand images. The reference has no upper clamp (only
 * p ≥ 0); we clamp at `maxP` = 1 by default, because a probability above 1 changes nothing
 * except rotation (whose 1 − √(1 − p) saturates at p = 1) and only delays the way back down.
 * An update with nothing accumulated is skipped (the reference would produce NaN).
 *
 * With `fixedP` set, p never changes (the "fixed p" option); r_t is still measured and reported.
 * The whole state (`getState()`) goes into the checkpoint: the reference resets p on resume,
 * we do not.
 */

export interface AdaOptions {
  /** Images per iteration (the global batch). */
  batchSize: number;
  /** Target value of r_t (undefined = 0.6). */
  target?: number;
  /** Iterations between updates (undefined = 4). */
  interval?: number;
  /** Thousands of images for p to move by 1 (undefined = 500; the reference uses 100 on resume). */
  kimg?: number;
  /** Starting p (undefined = 0). */
  initialP?: number;
  /** Keep p at this value forever (undefined = adaptive). */
  fixedP?: number;
  /** Upper clamp of p (undefined = 1; Infinity reproduces the reference, which has none). */
  maxP?: number;
}

/** Everything a checkpoint needs to continue the controller exactly. */
export interface AdaState {
  /** Current augmentation probability. */
  p: number;
  /** Σ sign(real logit) since the last update. */
  signSum: number;
  /** Number of logits in signSum. */
  signCount: number;
  /** Iterations completed so far (the reference's batch_idx of the next iteration). */
  iteration: number;
  /** r_t of the last update (undefined before the first). */
  lastRt?: number;
}

/** What an update did, for the per-tick stats. */
export interface AdaUpdate {
  /** r_t = mean sign of the real logits since the previous update. */
  rt: number;
  /** p before and after. */
  pBefore: number;
  pAfter: number;
}

export class AdaOptionsError extends Error {
  override readonly name = 'AdaOptionsError';
  readonly retriable = false;
}

/** The logits of one D call on reals: a plain array or anything with `dataSync()` (a tfjs tensor). */
export type RealLogits = ArrayLike<number> | { dataSync(): ArrayLike<number> };

function positive(name: string, v: number, allowZero = false): number {
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new AdaOptionsError(`AdaController: ${name} must be a finite number ${allowZero ? '≥' : '>'} 0, got ${v}`);
  }
  return v;
}

export class AdaController {
  readonly batchSize: number;
  readonly target: number;
  readonly interval: number;
  readonly kimg: number;
  readonly maxP: number;
  readonly fixedP: number | undefined;
  private state: AdaState;

  constructor(options: AdaOptions) {
    this.batchSize = positive('batchSize', options.batchSize);
    if (!Number.isInteger(this.batchSize)) throw new AdaOptionsError(`AdaController: batchSize must be an integer, got ${this.batchSize}`);
    this.target = options.target ?? 0.6;
    if (!(this.target >= -1 && this.target <= 1)) throw new AdaOptionsError(`AdaController: target must be in [-1, 1] (a mean sign), got ${this.target}`);
    this.interval = positive('interval', options.interval ?? 4);
    if (!Number.isInteger(this.interval)) throw new AdaOptionsError(`AdaController: interval must be an integer, got ${this.interval}`);
    this.kimg = positive('kimg', options.kimg ?? 500);
    this.maxP = options.maxP === Infinity ? Infinity : positive('maxP', options.maxP ?? 1);
    this.fixedP = options.fixedP === undefined ? undefined : positive('fixedP', options.fixedP, true);
    const p = this.fixedP ?? positive('initialP', options.initialP ?? 0, true);
    this.state = { p, signSum: 0, signCount: 0, iteration: 0 };
  }

  /** Current augmentation probability (give it to the augment pipe: `pipe.p = ada.p`). */
  get p(): number {
    return this.state.p;
  }

  /** The adjustment an update applies, in p per update: batch·interval / (kimg·1000). */
  get stepSize(): number {
    return (this.batchSize * this.interval) / (this.kimg * 1000);
  }

  /** Add the logits D gave to augmented reals (any shape; only their signs count). */
  accumulate(realLogits: RealLogits): void {
    const values = 'dataSync' in realLogits ? realLogits.dataSync() : realLogits;
    let sum = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (Number.isNaN(v)) throw new AdaOptionsError('AdaController.accumulate: a real logit is NaN; the discriminator diverged');
      sum += Math.sign(v);
    }
    this.state.signSum += sum;
    this.state.signCount += values.length;
  }

  /**
   * Call once after each training iteration. Every `interval`-th call (the first, the
   * (interval+1)-th, …) updates p from the accumulated signs and resets the accumulator;
   * returns what it did, or undefined when no update was due (or nothing was accumulated).
   */
  endIteration(): AdaUpdate | undefined {
    const due = this.state.iteration % this.interval === 0;
    this.state.iteration += 1;
    if (!due || this.state.signCount === 0) return undefined;
    const rt = this.state.signSum / this.state.signCount;
    const pBefore = this.state.p;
    if (this.fixedP === undefined) {
      const adjust = Math.sign(rt - this.target) * this.stepSize;
      this.state.p = Math.min(Math.max(pBefore + adjust, 0), this.maxP);
    }
    this.state.signSum = 0;
    this.state.signCount = 0;
    this.state.lastRt = rt;
    return { rt, pBefore, pAfter: this.state.p };
  }

  getState(): AdaState {
    return { ...this.state };
  }

  setState(state: AdaState): void {
    const ok =
      Number.isFinite(state.p) && state.p >= 0 &&
      Number.isFinite(state.signSum) &&
      Number.isInteger(state.signCount) && state.signCount >= 0 && Math.abs(state.signSum) <= state.signCount &&
      Number.isInteger(state.iteration) && state.iteration >= 0;
    if (!ok) throw new AdaOptionsError(`AdaController.setState: not a state from getState(): ${JSON.stringify(state)}`);
    if (this.fixedP !== undefined && state.p !== this.fixedP) {
      throw new AdaOptionsError(`AdaController.setState: this controller has fixed p = ${this.fixedP} but the checkpoint holds p = ${state.p}; resume with the same --aug-p option`);
    }
    this.state = { ...state };
  }
}
