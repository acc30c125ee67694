/**
 * What every CLI command shares: user errors (exit 2), the `--json` last line, and progress on a
 * terminal (stderr, so stdout stays machine-readable).
 */
import cliProgress from 'cli-progress';

/** Misuse or bad input: printed without a stack trace, exit code 2. */
export class UserError extends Error {
  override readonly name = 'UserError';
  readonly exitCode = 2;
}

/** Print the one machine-readable result line (always the last line on stdout). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export interface Progress {
  /** Advance to `done` of `total`, with an optional short status (e.g. "kimg 1.2, loss 0.7"). */
  update(done: number, status?: string): void;
  setTotal(total: number): void;
  stop(): void;
}

/**
 * A progress bar on stderr when it is a terminal; otherwise a line every `logEvery` percent so
 * CI logs and pipes still show that long work moves.
 */
export function progress(label: string, total: number, options: { quiet?: boolean } = {}): Progress {
  if (options.quiet) return { update() {}, setTotal() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% {value}/{total} {status} eta {eta_formatted}`, stream: process.stderr, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { status: '' });
    return {
      update: (done, status = '') => bar.update(done, { status }),
      setTotal: (t) => bar.setTotal(t),
      stop: () => bar.stop(),
    };
  }
  let lastDecile = -1;
  let t = total;
  return {
    update(done, status = '') {
      const decile = t > 0 ? Math.floor((10 * done) / t) : 10;
      if (decile !== lastDecile) {
        lastDecile = decile;
        process.stderr.write(`${label}: ${done}/${t}${status ? ` ${status}` : ''}\n`);
      }
    },
    setTotal: (n) => (t = n),
    stop() {},
  };
}

/** Parse a positive integer option or throw a UserError naming the flag. */
export function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new UserError(`${flag} must be a positive integer, got "${value}"`);
    return n;
  };
}

/** Parse an integer option ≥ 0 or throw a UserError naming the flag. */
export function nonNegativeInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new UserError(`${flag} must be an integer ≥ 0, got "${value}"`);
    return n;
  };
}

/** Parse a number option or throw a UserError naming the flag. */
export function finiteNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n)) throw new UserError(`${flag} must be a number, got "${value}"`);
    return n;
  };
}
