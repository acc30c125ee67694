/**
 * Runs a study's steps: in dependency order, every step whose needs are done at once. Each step is
 * known by its key — a hash of its name, code version, inputs, restart generation and the results
 * of what it needs — so a step whose result is already recorded under the same key is reused, and
 * a step whose inputs changed (or whose needs were redone) is done afresh. Where the records live
 * is the StepLedger's business (ledger.ts: in the store, so a study continues where it stopped).
 */
import { createHash } from 'node:crypto';
import type { StepContext, StudyStep } from './step.ts';
import { StudyStepError } from './replies.ts';

/** A step done: its key, result and when it ran. */
export interface StepRecord {
  name: string;
  key: string;
  output: unknown;
  startedAt: string;
  finishedAt: string;
  /** Index of the study run (invocation) that did it. */
  run: number;
}

/** Where step records are kept. */
export interface StepLedger {
  /** The record of `name` made under `key`, or null. */
  find(name: string, key: string): StepRecord | null;
  /** Keep a finished step's record (durably, before it counts as done). */
  record(record: StepRecord): Promise<void>;
  /** How many times the step was asked to restart (part of its key). */
  generation(name: string): number;
}

/** A ledger in memory (one run, nothing kept). */
export class MemoryLedger implements StepLedger {
  private readonly records = new Map<string, StepRecord>();
  find(name: string, key: string): StepRecord | null {
    const r = this.records.get(name);
    return r && r.key === key ? r : null;
  }
  async record(record: StepRecord): Promise<void> {
    this.records.set(record.name, record);
  }
  generation(): number {
    return 0;
  }
}

/** What happened to each step in this run. */
export type StepOutcome = { name: string; status: 'reused' | 'done'; record: StepRecord };

export interface RunStepsOptions {
  ledger: StepLedger;
  /** Index of this run (for the records). */
  run: number;
  /** The context of one step, given its key and the results of its needs. */
  context: (step: StudyStep, key: string, results: ReadonlyMap<string, unknown>) => StepContext;
  /** Told when a step is reused or starts (progress lines). */
  onStep?: (step: StudyStep, event: 'reused' | 'started' | 'done') => void;
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
  let failure: unknown = null;

  const start = (step: StudyStep) => {
    const key = stepKey(step, options.ledger.generation(step.name), results);
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
      options.onStep?.(step, 'started');
      const startedAt = new Date().toISOString();
      const output = await step.run(options.context(step, key, results));
      const checked = step.output.safeParse(output);
      if (!checked.success) throw new StudyStepError(`study step ${step.name} made a result of the wrong shape: ${checked.error.message}`);
      const record: StepRecord = { name: step.name, key, output: checked.data, startedAt, finishedAt: new Date().toISOString(), run: options.run };
      await options.ledger.record(record);
      results.set(step.name, checked.data);
      outcomes.set(step.name, { name: step.name, status: 'done', record });
      options.onStep?.(step, 'done');
    })();
    running.set(step.name, work);
    work.catch((err: unknown) => (failure ??= err));
  };

  const pending = [...ordered];
  while (pending.length > 0 || running.size > 0) {
    if (failure) break;
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
    const [name] = await Promise.race([...running].map(([n, p]) => p.then(() => [n] as const, () => [n] as const)));
    running.delete(name);
  }
  // A failure ends the run at once; steps still running are stopped by whoever closes the bus.
  if (failure) throw failure;
  return outcomes;
}
