/**
 * Runs a study's steps: in dependency order, every step whose needs are done at once. Each step is
 * known by its key — a hash of its name, code version, inputs, restart generation and the results
 * of what it needs — so a step whose result is already recorded under the same key is reused, and
 * a step whose inputs changed (or whose needs were redone) is done afresh. Where the records live
 * is the StepLedger's business (ledger.ts: in the store, so a study continues where it stopped).
 * A step begun by an earlier run under the same key and never finished was cut off: it runs again
 * with the same key, so its folders and request ids are the same, and the services continue it from
 * their checkpoints (the trainer from its last tick, the classifier from its last epoch, the
 * aggregator from its last completed round).
 */
import { createHash } from 'node:crypto';
import type { StepLedger, StepRecord } from './ledger.ts';
import type { StepContext, StudyStep } from './step.ts';
import { StudyStepError } from './replies.ts';

/** What happened to each step in this run. */
export type StepOutcome = { name: string; status: 'reused' | 'done'; record: StepRecord };

/**
 * What the runner tells about a step: `reused` (its result is recorded under its key), `resumed`
 * (cut off in an earlier run; `detail` says where it continues), `started` (`detail`: why it is
 * done afresh when an earlier result exists), `done`.
 */
export type StepEvent = 'reused' | 'resumed' | 'started' | 'done';

export interface RunStepsOptions {
  ledger: StepLedger;
  /** Index of this run (for the records). */
  run: number;
  /** The context of one step, given its key and the results of its needs. */
  context: (step: StudyStep, key: string, results: ReadonlyMap<string, unknown>) => StepContext;
  /** Told when a step is reused, resumed, started or done (progress lines). */
  onStep?: (step: StudyStep, event: StepEvent, detail?: string) => void;
  /** Aborted = start no more steps and reject at once with StudyInterruptedError (what runs is stopped by its services). */
  signal?: AbortSignal;
}

/** The run was interrupted (Ctrl-C, SIGTERM): the steps that were running, cut off. */
export class StudyInterruptedError extends Error {
  override readonly name = 'StudyInterruptedError';
  constructor(
    readonly running: string[],
    /** Where each cut-off step would continue (its resumesAt; null = from what its service saved, if anything). Ask once the services have stopped. */
    readonly saved: () => Promise<Array<{ step: string; at: string | null }>> = async () => running.map((step) => ({ step, at: null })),
  ) {
    super(`the study was interrupted${running.length > 0 ? ` while ${running.join(', ')} ran` : ''}`);
  }
}

/** Check a step list: unique names, needs that exist, no cycles. Returns the steps in a valid order. */
export function orderSteps(steps: readonly StudyStep[]): StudyStep[] {
  const byName = new Map<string, StudyStep>();
  for (const s of steps) {
    if (byName.has(s.name)) throw new StudyStepError(`two study steps are named "${s.name}"`);
    byName.set(s.name, s);
  }
  const ordered: StudyStep[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (s: StudyStep, path: string[]) => {
    if (state.get(s.name) === 'done') return;
    if (state.get(s.name) === 'visiting') throw new StudyStepError(`study steps need each other in a cycle: ${[...path, s.name].join(' → ')}`);
    state.set(s.name, 'visiting');
    for (const n of s.needs) {
      const need = byName.get(n);
      if (!need) throw new StudyStepError(`study step "${s.name}" needs "${n}", which is not a step of this study`);
      visit(need, [...path, s.name]);
    }
    state.set(s.name, 'done');
    ordered.push(s);
  };
  for (const s of steps) visit(s, []);
  return ordered;
}

/** JSON with object keys sorted, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** Hash of a step's own inputs (the preset part it reads, the seed, the data), recorded beside its result. */
export function inputsDigest(step: StudyStep): string {
  return createHash('sha256').update(canonicalJson(step.inputs)).digest('hex');
}

/** Why a step with an earlier result is done afresh, for progress lines ('' when it has none). */
export function redoReason(step: StudyStep, earlier: StepRecord | null, generation: number): string {
  if (!earlier) return '';
  if (earlier.version !== step.version) return `its code changed (version ${earlier.version} → ${step.version})`;
  if (earlier.inputs !== inputsDigest(step)) return 'its settings changed';
  if (generation !== earlier.generation) return 'asked to restart (--restart)';
  return 'a step it needs was redone';
}

/** The key of a step: what makes its result what it is. */
export function stepKey(step: StudyStep, generation: number, needs: ReadonlyMap<string, unknown>): string {
  const body = canonicalJson({ name: step.name, version: step.version, inputs: step.inputs, generation, needs: step.needs.map((n) => [n, needs.get(n)]) });
  return createHash('sha256').update(body).digest('hex');
}

/** Run the steps; resolves with every step's outcome once all are done (rejects on the first failure). */
export async function runSteps(steps: readonly StudyStep[], options: RunStepsOptions): Promise<Map<string, StepOutcome>> {
  const ordered = orderSteps(steps);
  const outcomes = new Map<string, StepOutcome>();
  const results = new Map<string, unknown>();
  const running = new Map<string, Promise<void>>();
  const contexts = new Map<string, { step: StudyStep; ctx: StepContext }>();
  let failure: unknown = null;
  const interruption = () => {
    const cut = [...running.keys()];
    return new StudyInterruptedError(cut, () =>
      Promise.all(cut.map(async (name) => {
        const c = contexts.get(name);
        return { step: name, at: c ? ((await c.step.resumesAt?.(c.ctx).catch(() => null)) ?? null) : null };
      })),
    );
  };

  const start = (step: StudyStep) => {
    const generation = options.ledger.generation(step.name);
    const key = stepKey(step, generation, results);
    const found = options.ledger.find(step.name, key);
    if (found) {
      const parsed = step.output.safeParse(found.output);
      if (parsed.success) {
        results.set(step.name, parsed.data);
        outcomes.set(step.name, { name: step.name, status: 'reused', record: found });
        options.onStep?.(step, 'reused');
        return;
      }
    }
    const work = (async () => {
      const ctx = options.context(step, key, results);
      contexts.set(step.name, { step, ctx });
      if (options.ledger.cutOff(step.name, key, options.run)) {
        const at = step.resumesAt ? ((await step.resumesAt(ctx)) ?? 'starting over: nothing of it was saved') : 'continuing where its service saved it last';
        options.onStep?.(step, 'resumed', at);
      } else {
        options.onStep?.(step, 'started', redoReason(step, options.ledger.latest(step.name), generation));
      }
      // Stopped while it was being prepared: it does not start.
      if (options.signal?.aborted) throw new StudyInterruptedError([step.name]);
      const startedAt = new Date().toISOString();
      await options.ledger.begin({ name: step.name, key, startedAt, run: options.run });
      const output = await step.run(ctx);
      const checked = step.output.safeParse(output);
      if (!checked.success) throw new StudyStepError(`study step ${step.name} made a result of the wrong shape: ${checked.error.message}`);
      const record: StepRecord = {
        name: step.name, key, inputs: inputsDigest(step), version: step.version, generation, output: checked.data, startedAt, finishedAt: new Date().toISOString(), run: options.run,
      };
      await options.ledger.record(record);
      results.set(step.name, checked.data);
      outcomes.set(step.name, { name: step.name, status: 'done', record });
      options.onStep?.(step, 'done');
    })();
    running.set(step.name, work);
    work.catch((err: unknown) => (failure ??= err));
  };
  const INTERRUPTED = Symbol('interrupted');
  const interrupted = new Promise<typeof INTERRUPTED>((resolve) => {
    if (options.signal?.aborted) resolve(INTERRUPTED);
    options.signal?.addEventListener('abort', () => resolve(INTERRUPTED), { once: true });
  });

  const pending = [...ordered];
  while (pending.length > 0 || running.size > 0) {
    if (failure) break;
    if (options.signal?.aborted) throw interruption();
    // Start every step whose needs are done.
    for (let i = 0; i < pending.length; ) {
      const step = pending[i]!;
      if (step.needs.every((n) => results.has(n))) {
        pending.splice(i, 1);
        start(step);
      } else i++;
    }
    if (running.size === 0) {
      if (pending.length === 0) break;
      continue;
    }
    // Wait for one running step to end.
    const ended = await Promise.race([interrupted, ...[...running].map(([n, p]) => p.then(() => n, () => n))]);
    if (ended === INTERRUPTED) throw interruption();
    running.delete(ended);
  }
  // A failure ends the run at once; steps still running are stopped by whoever closes the bus.
  if (failure) throw failure;
  return outcomes;
}
