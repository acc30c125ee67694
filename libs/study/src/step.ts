/**
 * A study is a list of named steps. Each step says what it needs (other steps, by name), what else
 * its result depends on (`inputs`: the part of the preset it reads, the seed), which version of its
 * code made it, and the shape of its result (a zod schema: results are JSON, stored, read back
 * typed). The runner (runner.ts) runs the steps in dependency order, as many at once as are ready;
 * how to add one: steps/README.md.
 */
import type { EventBus } from '@dermagan/bus';
import type { DermaganEvent, EventDefinition, FolderRef } from '@dermagan/contracts';
import type { ObjectStore } from '@dermagan/store';
import type { z } from 'zod';
import type { StudyFederationSetting } from './federated.ts';
import type { StudyPreset } from './presets.ts';
import type { StudyResults } from './results.ts';
import type { Silence } from './silence.ts';

export interface StudyStep<Out = unknown> {
  /** Unique in the study, `kind` or `kind:item` (`ingest`, `train:ben-gan`); `--restart kind` names every item. */
  readonly name: string;
  /** Steps whose results this one reads (they run first). */
  readonly needs: readonly string[];
  /** Bump when a change to the step's code makes its earlier results wrong. */
  readonly version: number;
  /** Everything besides the needs' results that the result depends on (JSON: preset part, seed, names). */
  readonly inputs: unknown;
  /** The result's shape. */
  readonly output: z.ZodType<Out>;
  /** Do the work (usually: publish a request, wait for its reply). */
  run(ctx: StepContext): Promise<Out>;
  /**
   * Where a run of this step that was cut off continues (`resuming at 4.032/8 kimg`), read from
   * what its service saved; null or absent = from its start.
   */
  resumesAt?(ctx: StepContext): Promise<string | null>;
  /** Its own section of the report (HTML), from its result; absent = the core tables show it or nothing does. */
  report?(output: Out, ctx: ReportContext): Promise<string>;
}

/** What a step's report section gets: the whole results (read-only) and the folder its assets are in. */
export interface ReportContext {
  readonly results: StudyResults;
  /** The study's output folder (images the section names are relative to it). */
  readonly outDir: string;
  /** Copy a folder artifact to a local directory (cached) and return its path (a section copies the files it shows into outDir). */
  fetchFolder(ref: FolderRef): Promise<string>;
}

/** What the steps of a study are made from. */
export interface StudyPlan {
  preset: StudyPreset;
  /** Whether the setting can run the federated GAN (tenant agents that answer on the bus). */
  federation: boolean;
  /** Fingerprint of the source data (data-fingerprint.ts); absent = not known (the ingest service reads it). */
  data?: string;
}

/** Makes the steps of one kind for a plan (none when the preset has no such part). */
export type StepFactory = (plan: StudyPlan) => StudyStep[];

/** What a step gets to work with. */
export interface StepContext {
  readonly preset: StudyPreset;
  /** The study's id; every artifact it makes is under `runs/<runId>/`, `datasets/<runId>/`, `synthetic/<runId>/`. */
  readonly runId: string;
  /** The bucket of every artifact of the study. */
  readonly bucket: string;
  /** `runs/<runId>/`. */
  readonly prefix: string;
  /**
   * The first 8 hex digits of the step's key. Folders and ids named with it are this version of the
   * step's own: a step done afresh (other inputs, `--restart`) works in fresh ones.
   */
  readonly tag: string;
  /** The source the study ingests (a metadata CSV or a folder per class, readable by the ingest service). */
  readonly data: string;
  readonly bus: EventBus;
  readonly store: ObjectStore;
  /** The tenants' public keys and the operator's signing key when the setting runs the federated GAN. */
  readonly federation: StudyFederationSetting | null;
  /** How long a wait may go without a word from any service before it fails. */
  readonly timeoutMs: number;
  /** When the services were last heard from (a step waiting on its own reports what it hears). */
  readonly silence: Silence;
  /** Aborted when the study stops (Ctrl-C): a step waiting on its own (not through `request`) stops waiting. */
  readonly signal: AbortSignal;
  /** The result of a step this one needs, checked against the schema it is read with. */
  result<O>(step: string, schema: z.ZodType<O>): O;
  /**
   * Publish a request (its id made from the study, the step and `name`) and wait for the reply it
   * causes. The same step asking the same thing again gets the same id: services do not do it twice.
   */
  request<S extends z.ZodType>(name: string, make: (meta: RequestMeta) => DermaganEvent<unknown>, reply: EventDefinition<S>): Promise<DermaganEvent<z.output<S>>>;
  /**
   * Publish an event that is not a request with a reply (e.g. `federation.requested`, followed by
   * its own watch): skipped when an earlier run of the study published it to a durable bus, where
   * it still is (a restarted study re-attaches to the work it asked for instead of asking again).
   */
  publishOnce(event: DermaganEvent<unknown>): Promise<void>;
  /** Copy a folder artifact to a local directory (cached) and return its path. */
  fetchFolder(ref: FolderRef): Promise<string>;
  /** Progress of this step: done of total units, and a short status. */
  progress(done: number, total: number, status?: string): void;
}

/** What a request needs to carry to be this step's. */
export interface RequestMeta {
  id: string;
  runid: string;
  source: string;
}

/** The kind of a step name (`train:ben-gan` → `train`). */
export function stepKind(name: string): string {
  return name.split(':')[0]!;
}

/** True when `pattern` (`train`, `train:ben-gan`, `all`) names the step. */
export function stepMatches(pattern: string, name: string): boolean {
  return pattern === 'all' || pattern === name || pattern === stepKind(name);
}
