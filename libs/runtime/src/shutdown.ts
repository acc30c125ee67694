/**
 * Graceful shutdown on SIGTERM / SIGINT: stop taking work, let the in-flight event finish or hand
 * it back (the bus does not commit it, so it is redelivered), close connections, exit. A second
 * signal, or the grace period running out, exits at once.
 */
import type { Logger } from 'pino';

export interface ShutdownStep {
  name: string;
  run: () => Promise<void>;
}

export function onShutdown(logger: Logger, steps: ShutdownStep[], graceS: number): { trigger: (reason: string) => Promise<void> } {
  let closing: Promise<void> | undefined;
  const trigger = (reason: string): Promise<void> => {
    if (closing) return closing;
    logger.info({ reason }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ graceS }, 'shutdown grace period over; exiting now');
      process.exit(1);
    }, graceS * 1000);
    timer.unref();
    closing = (async () => {
      for (const step of steps) {
        try {
          await step.run();
          logger.info({ step: step.name }, 'closed');
        } catch (err) {
          logger.error({ step: step.name, err }, 'failed to close cleanly');
        }
      }
      clearTimeout(timer);
    })();
    return closing;
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      process.once(signal, () => process.exit(130));
      void trigger(signal).then(() => process.exit(0));
    });
  }
  return { trigger };
}
