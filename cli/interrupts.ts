/**
 * Ctrl-C (SIGINT) and SIGTERM for a long command: the first one asks the command to stop at its
 * next safe point (its AbortSignal aborts, the message says what happens); a second one exits at
 * once with code 130 (process.exit: the process's 'exit' listeners still run, so a command's
 * synchronous clean-up there happens — `dermagan study` releases its folder's lock). Every file
 * dermagan writes is written whole (a temp file renamed, or the store's atomic put), so even the
 * second one leaves no half-written file taken for a result.
 */
export interface Interrupts {
  readonly signal: AbortSignal;
  /** Stop listening (the command ended). */
  dispose(): void;
}

export function onInterrupt(message: (signal: NodeJS.Signals) => string): Interrupts {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write(`\n${signal} again: exiting now\n`);
      process.exit(130);
    }
    process.stderr.write(message(signal));
    controller.abort(new Error(`stopped by ${signal}`));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
