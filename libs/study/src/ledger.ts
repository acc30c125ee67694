/**
 * The study's memory in the store, so a study continues where it stopped, whichever process runs
 * it next (the CLI on a laptop again, or a restarted CLI in a cluster). Under `runs/<runId>/study/`:
 *
 *   steps/<name>.json     the step's last finished record (key, result, times, run): written with
 *                         the store's atomic put after the step's result and before it counts as done
 *   started/<name>.json   the step's last start (key, run): a start without a finished record under
 *                         the same key is a step that was cut off, and continues from its checkpoints
 *   requests/<id>.json    a request a step published (a restarted CLI on a durable bus waits for its
 *                         reply instead of publishing it again)
 *   restarts.json         how often each step was asked to start afresh (`--restart`; part of its key)
 *   runs.json             the runs (invocations) that made the study: start, last sign of life, end
 *
 * Everything is read once when the ledger opens; afterwards the ledger is the only writer (one
 * study run at a time per study).
 */
import type { ObjectStore } from '@dermagan/store';
import { z } from 'zod';
import { StudyStepError } from './replies.ts';
import { stepMatches } from './step.ts';

/** A step done: its key, result and when it ran. */
export const StepRecord = z.object({
  name: z.string(),
  key: z.string(),
  /** Hash of the step's own inputs (not its needs' results): a changed preset shows here. */
  inputs: z.string(),
  /** The step's code version that made it. */
  version: z.number().int(),
  /** Its restart generation (`--restart` counts). */
  generation: z.number().int().nonnegative(),
  output: z.unknown(),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** Index of the study run (invocation) that did it. */
  run: z.number().int().nonnegative(),
});
export type StepRecord = z.output<typeof StepRecord>;

/** A step begun (not necessarily finished). */
export const StepStart = z.object({ name: z.string(), key: z.string(), startedAt: z.string(), run: z.number().int().nonnegative() });
export type StepStart = z.output<typeof StepStart>;

/** How a run of the study ended (null while it runs, or when it was killed before it could say). */
export const RUN_ENDINGS = ['completed', 'interrupted', 'failed'] as const;
export type RunEnding = (typeof RUN_ENDINGS)[number];

/** One run (invocation) of the study. */
export const StudyRunEntry = z.object({
  run: z.number().int().nonnegative(),
  startedAt: z.string(),
  /** Last sign of life: the run's last step start or end (its end time when it ended). */
  lastSeenAt: z.string(),
  /** When it ended, or null: still running, or killed (SIGKILL, power) after lastSeenAt. */
  stoppedAt: z.string().nullable(),
  ended: z.enum(RUN_ENDINGS).nullable(),
  /** Steps it reused, and steps it finished. */
  reused: z.number().int().nonnegative(),
  done: z.number().int().nonnegative(),
});
export type StudyRunEntry = z.output<typeof StudyRunEntry>;

/** Where step records are kept. */
export interface StepLedger {
  /** The record of `name` made under `key`, or null. */
  find(name: string, key: string): StepRecord | null;
  /** The last record of `name`, whatever its key, or null. */
  latest(name: string): StepRecord | null;
  /** The start of `name` under `key` by an earlier run that did not finish it, or null. */
  cutOff(name: string, key: string, run: number): StepStart | null;
  /** Note a step's start (durably, before its work begins). */
  begin(start: StepStart): Promise<void>;
  /** Keep a finished step's record (durably, before it counts as done). */
  record(record: StepRecord): Promise<void>;
  /** How many times the step was asked to restart (part of its key). */
  generation(name: string): number;
}

/** A step ledger with the runs that used it (what runStudy needs). */
export interface StudyLedger extends StepLedger {
  /** Begin a run: its index. */
  startRun(): Promise<number>;
  /** End the run. */
  endRun(run: number, ended: RunEnding, counts: { reused: number; done: number }): Promise<void>;
  /** The runs so far, oldest first. */
  runs(): StudyRunEntry[];
  /** True when a request with this id was published by an earlier run. */
  published(id: string): boolean;
  /** Note a published request. */
  publish(id: string): Promise<void>;
}

/** A ledger in memory (one run, nothing kept). */
export class MemoryLedger implements StudyLedger {
  protected readonly records = new Map<string, StepRecord>();
  protected readonly starts = new Map<string, StepStart>();
  protected readonly restarts = new Map<string, number>();
  protected readonly requests = new Set<string>();
  protected entries: StudyRunEntry[] = [];

  find(name: string, key: string): StepRecord | null {
    const r = this.records.get(name);
    return r && r.key === key ? r : null;
  }
  latest(name: string): StepRecord | null {
    return this.records.get(name) ?? null;
  }
  cutOff(name: string, key: string, run: number): StepStart | null {
    const s = this.starts.get(name);
    return s && s.key === key && s.run < run && this.find(name, key) === null ? s : null;
  }
  async begin(start: StepStart): Promise<void> {
    this.starts.set(start.name, start);
    this.touch(start.run);
  }
  async record(record: StepRecord): Promise<void> {
    this.records.set(record.name, record);
    this.touch(record.run);
  }
  generation(name: string): number {
    return this.restarts.get(name) ?? 0;
  }
  async startRun(): Promise<number> {
    const now = new Date().toISOString();
    const run = this.entries.length;
    this.entries.push({ run, startedAt: now, lastSeenAt: now, stoppedAt: null, ended: null, reused: 0, done: 0 });
    return run;
  }
  async endRun(run: number, ended: RunEnding, counts: { reused: number; done: number }): Promise<void> {
    const now = new Date().toISOString();
    this.entries = this.entries.map((e) => (e.run === run ? { ...e, ...counts, ended, stoppedAt: now, lastSeenAt: now } : e));
  }
  runs(): StudyRunEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }
  published(id: string): boolean {
    return this.requests.has(id);
  }
  async publish(id: string): Promise<void> {
    this.requests.add(id);
  }
  /** Count `--restart` patterns: every step they name gets a new generation (and so a new key). */
  async restart(patterns: readonly string[], steps: readonly string[]): Promise<string[]> {
    const named = steps.filter((s) => patterns.some((p) => stepMatches(p, s)));
    for (const s of named) this.restarts.set(s, this.generation(s) + 1);
    return named;
  }
  protected touch(run: number): void {
    const now = new Date().toISOString();
    this.entries = this.entries.map((e) => (e.run === run ? { ...e, lastSeenAt: now } : e));
  }
}

const Restarts = z.record(z.string(), z.number().int().nonnegative());
const Runs = z.array(StudyRunEntry);

/** The ledger of study `runId` in the store (see the top of this file). */
export class StoreLedger extends MemoryLedger {
  private constructor(
    private readonly store: ObjectStore,
    private readonly bucket: string,
    /** `runs/<runId>/study/`. */
    private readonly prefix: string,
  ) {
    super();
  }

  /** Read the study's ledger (empty for a new study). */
  static async open(store: ObjectStore, bucket: string, runId: string): Promise<StoreLedger> {
    await store.ensureBucket(bucket);
    const ledger = new StoreLedger(store, bucket, `runs/${runId}/study/`);
    await ledger.load();
    return ledger;
  }

  override async begin(start: StepStart): Promise<void> {
    await this.put(`started/${start.name}.json`, start);
    await super.begin(start);
    await this.saveRuns();
  }
  override async record(record: StepRecord): Promise<void> {
    await this.put(`steps/${record.name}.json`, record);
    await super.record(record);
    await this.saveRuns();
  }
  override async startRun(): Promise<number> {
    const run = await super.startRun();
    await this.saveRuns();
    return run;
  }
  override async endRun(run: number, ended: RunEnding, counts: { reused: number; done: number }): Promise<void> {
    await super.endRun(run, ended, counts);
    await this.saveRuns();
  }
  override async publish(id: string): Promise<void> {
    await this.put(`requests/${encodeURIComponent(id)}.json`, { id, at: new Date().toISOString() });
    await super.publish(id);
  }
  override async restart(patterns: readonly string[], steps: readonly string[]): Promise<string[]> {
    const named = await super.restart(patterns, steps);
    await this.put('restarts.json', Object.fromEntries(this.restarts));
    return named;
  }

  private async load(): Promise<void> {
    for (const key of await this.store.list(this.bucket, this.prefix)) {
      const rel = key.slice(this.prefix.length);
      if (rel.startsWith('steps/')) {
        const r = StepRecord.parse(await this.get(rel));
        this.records.set(r.name, r);
      } else if (rel.startsWith('started/')) {
        const s = StepStart.parse(await this.get(rel));
        this.starts.set(s.name, s);
      } else if (rel.startsWith('requests/')) {
        this.requests.add(decodeURIComponent(rel.slice('requests/'.length, -'.json'.length)));
      } else if (rel === 'restarts.json') {
        for (const [name, n] of Object.entries(Restarts.parse(await this.get(rel)))) this.restarts.set(name, n);
      } else if (rel === 'runs.json') {
        this.entries = Runs.parse(await this.get(rel));
      }
    }
  }

  private async get(rel: string): Promise<unknown> {
    const key = `${this.prefix}${rel}`;
    try {
      return JSON.parse((await this.store.getBytes(this.bucket, key)).toString('utf8'));
    } catch (err) {
      throw new StudyStepError(`the study's record ${this.bucket}/${key} cannot be read (${(err as Error).message}); remove it to redo that part, or use another --out`);
    }
  }

  private async put(rel: string, value: unknown): Promise<void> {
    await this.store.put(this.bucket, `${this.prefix}${rel}`, `${JSON.stringify(value)}\n`, { contentType: 'application/json' });
  }

  /** runs.json, one write after the other (a later snapshot never lands before an earlier one). */
  private saving: Promise<void> = Promise.resolve();
  private saveRuns(): Promise<void> {
    const next = this.saving.then(() => this.put('runs.json', this.entries));
    this.saving = next.catch(() => undefined);
    return next;
  }
}
