/** The step runner: dependency order, parallel starts, reuse by key, fresh work when inputs change, typed results. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { StudyStepError } from './replies.ts';
import { MemoryLedger } from './ledger.ts';
import { canonicalJson, orderSteps, runSteps, stepKey, StudyInterruptedError } from './runner.ts';
import { stepMatches, type StepContext, type StudyStep } from './step.ts';

const Num = z.object({ n: z.number() });

/** A step that adds 1 to the sum of its needs' n (0 with none), logging when it runs. */
function step(name: string, needs: string[] = [], inputs: unknown = {}, log: string[] = [], gate?: Promise<void>): StudyStep<{ n: number }> {
  return {
    name,
    needs,
    version: 1,
    inputs,
    output: Num,
    async run(ctx) {
      log.push(`start ${name}`);
      await gate;
      const n = needs.reduce((s, x) => s + ctx.result(x, Num).n, 0) + 1;
      log.push(`end ${name}`);
      return { n };
    },
  };
}

/** A context where only `result` works (what these steps use). */
function context(step: StudyStep, _key: string, results: ReadonlyMap<string, unknown>): StepContext {
  return {
    result: (name, schema) => {
      if (!step.needs.includes(name)) throw new StudyStepError(`${step.name} reads ${name} without needing it`);
      return schema.parse(results.get(name));
    },
  } as StepContext;
}

describe('runSteps', () => {
  it('runs needs first, independent steps at once, and hands each step its needs’ typed results', async () => {
    const log: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const steps = [step('c', ['a', 'b'], {}, log), step('a', [], {}, log, gate), step('b', [], {}, log, gate)];
    const running = runSteps(steps, { ledger: new MemoryLedger(), run: 0, context });
    await new Promise((r) => setTimeout(r, 10));
    expect(log).toEqual(['start a', 'start b']); // both started before either ended
    open();
    const outcomes = await running;
    expect(log.slice(2)).toEqual(['end a', 'end b', 'start c', 'end c']);
    expect(outcomes.get('c')!.record.output).toEqual({ n: 3 });
    expect([...outcomes.values()].every((o) => o.status === 'done')).toBe(true);
  });

  it('reuses a step recorded under the same key and redoes it (and what needs it) when its inputs change', async () => {
    const ledger = new MemoryLedger();
    const log: string[] = [];
    await runSteps([step('a', [], { x: 1 }, log), step('b', ['a'], {}, log)], { ledger, run: 0, context });
    log.length = 0;
    const again = await runSteps([step('a', [], { x: 1 }, log), step('b', ['a'], {}, log)], { ledger, run: 1, context });
    expect(log).toEqual([]);
    expect([...again.values()].map((o) => [o.name, o.status, o.record.run])).toEqual([['a', 'reused', 0], ['b', 'reused', 0]]);
    // A changed input of a: a is done afresh; b's result would stay the same here, but its key
    // includes a's result, which is recorded anew, so b is checked against the new a.
    const changed = await runSteps([step('a', [], { x: 2 }, log), step('b', ['a'], {}, log)], { ledger, run: 2, context });
    expect(changed.get('a')!.status).toBe('done');
    expect(log).toContain('start a');
  });

  it('redoes a step whose restart generation went up, even with the same inputs', async () => {
    const ledger = new MemoryLedger();
    const log: string[] = [];
    await runSteps([step('a', [], {}, log), step('b', [], {}, log)], { ledger, run: 0, context });
    expect(await ledger.restart(['a'], ['a', 'b'])).toEqual(['a']);
    log.length = 0;
    const why: string[] = [];
    await runSteps([step('a', [], {}, log), step('b', [], {}, log)], { ledger, run: 1, context, onStep: (s, e, d) => why.push(`${s.name} ${e}${d ? `: ${d}` : ''}`) });
    expect(log).toEqual(['start a', 'end a']);
    expect(why).toEqual(['a started: asked to restart (--restart)', 'b reused', 'a done']);
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    const log: string[] = [];
    const failing: StudyStep<{ n: number }> = { ...step('a'), run: async () => Promise.reject(new Error('service gave up')) };
    await expect(runSteps([failing, step('b', ['a'], {}, log)], { ledger: new MemoryLedger(), run: 0, context })).rejects.toThrow('service gave up');
    expect(log).toEqual([]);
  });

  it('refuses a result of the wrong shape, and a step reading what it does not need', async () => {
    const bad: StudyStep<{ n: number }> = { ...step('a'), run: async () => ({ n: 'x' }) as unknown as { n: number } };
    await expect(runSteps([bad], { ledger: new MemoryLedger(), run: 0, context })).rejects.toThrow(/study step a made a result of the wrong shape/);
    const sneaky: StudyStep<{ n: number }> = { ...step('b', ['a']), run: async (ctx) => ctx.result('c', Num) };
    await expect(runSteps([step('a'), step('c'), sneaky], { ledger: new MemoryLedger(), run: 0, context })).rejects.toThrow(/b reads c without needing it/);
  });
});

describe('runSteps, interrupted and continued', () => {
  it('an abort starts no more steps and rejects at once naming the steps cut off; the next run resumes them and reuses the rest', async () => {
    // A run cut off in b: a's result is reused, b is told as resumed (with where it continues), c is new.
    const cut = new MemoryLedger();
    const events: string[] = [];
    const stopping = new AbortController();
    const gate = new Promise<void>(() => {});
    const cutOff = runSteps([step('a', [], {}, []), step('b', ['a'], {}, [], gate)], { ledger: cut, run: 0, context, signal: stopping.signal });
    await new Promise((r) => setTimeout(r, 10));
    stopping.abort();
    const err = await cutOff.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StudyInterruptedError);
    expect((err as StudyInterruptedError).running).toEqual(['b']);
    expect(await (err as StudyInterruptedError).saved()).toEqual([{ step: 'b', at: null }]);
    const resumable: StudyStep<{ n: number }> = { ...step('b', ['a']), resumesAt: async () => 'resuming at 2/4 kimg' };
    const outcomes = await runSteps([step('a'), resumable, step('c', ['b'])], { ledger: cut, run: 1, context, onStep: (s, e, d) => events.push(`${s.name} ${e}${d ? `: ${d}` : ''}`) });
    expect(events).toEqual(['a reused', 'b resumed: resuming at 2/4 kimg', 'b done', 'c started', 'c done']);
    expect(outcomes.get('c')!.record.output).toEqual({ n: 3 });
  });
});

describe('orderSteps', () => {
  it('orders needs first and refuses duplicates, unknown needs and cycles', () => {
    expect(orderSteps([step('b', ['a']), step('a')]).map((s) => s.name)).toEqual(['a', 'b']);
    expect(() => orderSteps([step('a'), step('a')])).toThrow(/two study steps are named "a"/);
    expect(() => orderSteps([step('a', ['z'])])).toThrow(/"a" needs "z", which is not a step/);
    expect(() => orderSteps([step('a', ['b']), step('b', ['a'])])).toThrow(/cycle: a → b → a/);
  });
});

describe('step keys', () => {
  it('depend on name, version, inputs, generation and the needs’ results — not on key order', () => {
    const a = step('a', [], { x: 1, y: [1, 2] });
    const base = stepKey(a, 0, new Map());
    expect(stepKey({ ...a, inputs: { y: [1, 2], x: 1 } }, 0, new Map())).toBe(base);
    expect(stepKey({ ...a, inputs: { x: 2, y: [1, 2] } }, 0, new Map())).not.toBe(base);
    expect(stepKey({ ...a, version: 2 }, 0, new Map())).not.toBe(base);
    expect(stepKey(a, 1, new Map())).not.toBe(base);
    const b = step('b', ['a']);
    expect(stepKey(b, 0, new Map([['a', { n: 1 }]]))).not.toBe(stepKey(b, 0, new Map([['a', { n: 2 }]])));
    expect(canonicalJson({ b: 1, a: { d: 1, c: 2 } })).toBe('{"a":{"c":2,"d":1},"b":1}');
  });

  it('--restart patterns name a step, its kind, or all', () => {
    expect(['train', 'train:ben-gan', 'all', 'generate'].map((p) => stepMatches(p, 'train:ben-gan'))).toEqual([true, true, true, false]);
  });
});
