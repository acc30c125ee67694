/**
 * The process around a Job's worker (job-main: a training Job; round-job-main: a hospital's round):
 * SIGTERM or SIGINT aborts the work (the worker keeps what it has and says it was interrupted),
 * the service's /metrics is served meanwhile, and the outcome becomes the exit code the Job's
 * podFailurePolicy reads: 0 done, 2 a request retrying cannot fix (the Job fails at once), 75
 * interrupted (a replacement pod carries on), 1 anything else (counted against backoffLimit).
 */
import { TRAINING_JOB } from '@dermagan/contracts';
import { startService, type BaseConfig, type ServiceContext } from '@dermagan/runtime';

/** What the log says for each way the work can end. */
export interface JobMessages<O> {
  done: (outcome: O) => string;
  invalid: string;
  interrupted: string;
  failed: string;
}

export async function runJobProcess<O extends { status: string }>(
  config: BaseConfig,
  messages: JobMessages<O>,
  work: (ctx: ServiceContext, signal: AbortSignal) => Promise<O>,
): Promise<never> {
  const abort = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => abort.abort());
  const service = await startService({ config, subscriptions: () => [], handleSignals: false });
  const { logger } = service.ctx;
  let code = 1;
  try {
    const outcome = await work(service.ctx, abort.signal);
    const fields: object = outcome;
    if (outcome.status === 'invalid-request') {
      logger.error(fields, messages.invalid);
      code = TRAINING_JOB.exitCodes.invalidRequest;
    } else if (outcome.status === 'interrupted') {
      logger.error(fields, messages.interrupted);
      code = TRAINING_JOB.exitCodes.interrupted;
    } else {
      logger.info(fields, messages.done(outcome));
      code = 0;
    }
  } catch (err) {
    logger.error({ err }, messages.failed);
  } finally {
    await service.stop();
  }
  process.exit(code);
}
