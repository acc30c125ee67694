/**
 * Which study an output folder holds, so that running the same command on the same `--out` again
 * continues it. `OUT/study.json` names the study (its run id: the prefix of its records and
 * artifacts in the store), where its artifacts are (store, bucket) and the settings it was made
 * with (the preset as run, the data and its fingerprint, whether it federates); the same settings
 * are kept in the store beside the study's ledger.
 *
 * Opening a study again compares: a step whose own inputs changed since its recorded result
 * (another preset, other data) is never silently redone or mixed with the old results — the open
 * is refused with what changed, unless `--restart` names every such step. `--restart STEP|kind|all`
 * also makes the named steps start afresh when nothing changed.
 */
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { claimOutputFolder, runFolder, writeFileAtomic } from '@dermagan/safe-io';
import type { ObjectStore } from '@dermagan/store';
import { z } from 'zod';
import { StoreLedger } from './ledger.ts';
import { StudyStepError } from './replies.ts';
import { inputsDigest } from './runner.ts';
import { stepKind, stepMatches, type StudyStep } from './step.ts';
import { takeStudyLease, type StudyLease, type StudyLeaseOptions } from './study-lease.ts';

/** What `study --out` holds: report.html, results.json, assets/, work/ and the fs store; recognised by its marker. */
export const STUDY_FOLDER = runFolder('study', 'dermagan study');

/** The file in the output folder that names its study. */
export const STUDY_STATE_FILE = 'study.json';
export const STUDY_STATE_FORMAT = 'dermagan.study/v1';

/** What a study was made with. */
export const StudySettings = z.object({
  /** The preset as run (every value, so a changed default shows). */
  preset: z.record(z.string(), z.unknown()),
  /** The source as given, and its fingerprint (null: not readable here). */
  data: z.object({ path: z.string(), fingerprint: z.string().nullable() }),
  /** Whether the federated GAN is part of it. */
  federated: z.boolean(),
});
export type StudySettings = z.output<typeof StudySettings>;

export const StudyState = z.object({
  format: z.literal(STUDY_STATE_FORMAT),
  runId: z.string().regex(/^[a-zA-Z0-9._-]+$/),
  /** The store's url and the bucket of every artifact. */
  store: z.string(),
  bucket: z.string(),
  settings: StudySettings,
  createdAt: z.string(),
});
export type StudyState = z.output<typeof StudyState>;

/** The folder's study cannot continue with these settings; the message says what changed and what to do. */
export class StudyChangedError extends StudyStepError {}

export interface OpenStudyOptions {
  /** The output folder: new, empty, or a study's (claimed here; anything else is refused untouched). */
  out: string;
  store: ObjectStore;
  bucket: string;
  settings: StudySettings;
  /** The steps the study will run. */
  steps: readonly StudyStep[];
  /** `--restart` patterns (`train`, `train:ben-gan`, `all`). */
  restart: readonly string[];
  /** Hold the study's lease in the store (study-lease.ts) from before anything is written; the caller releases it. */
  lease?: StudyLeaseOptions;
}

export interface OpenedStudy {
  runId: string;
  ledger: StoreLedger;
  /** True when the folder held this study already (a continuation). */
  continuing: boolean;
  /** Steps `--restart` named (they start afresh). */
  restarted: string[];
  /** What changed since the study's last run (accepted because --restart named the steps). */
  changes: string[];
  /** The study's lease, when asked for: release it when the study ends. */
  lease: StudyLease | null;
}

/** A new study run id: `study-<UTC time>-<random>`. */
export function newStudyRunId(now = new Date()): string {
  return `study-${now.toISOString().replace(/[-:T.Z]/g, '').slice(0, 14)}-${randomUUID().slice(0, 6)}`;
}

export async function openStudy(o: OpenStudyOptions): Promise<OpenedStudy> {
  await claimOutputFolder(o.out, STUDY_FOLDER);
  const names = o.steps.map((s) => s.name);
  const unknown = o.restart.filter((p) => !names.some((n) => stepMatches(p, n)));
  if (unknown.length > 0) {
    throw new StudyStepError(`--restart ${unknown.join(',')}: no step of this study is named so; its steps are all, ${[...new Set(names.map(stepKind))].join(', ')} or one of ${names.join(', ')}`);
  }
  const earlier = await readState(o.out);
  if (earlier && (earlier.store !== o.store.url || earlier.bucket !== o.bucket)) {
    throw new StudyChangedError(
      `${o.out} holds study ${earlier.runId}, whose artifacts are in bucket ${earlier.bucket} of ${earlier.store}; ` +
        `run with that store and --bucket ${earlier.bucket} to continue it, or choose another --out`,
    );
  }
  const runId = earlier?.runId ?? newStudyRunId();
  const lease = o.lease ? await takeStudyLease(o.store, o.bucket, runId, o.lease) : null;
  try {
    return { ...(await openLeased(o, earlier, runId)), lease };
  } catch (err) {
    await lease?.release();
    throw err;
  }
}

/** openStudy once the study's id is known (and its lease held, when asked for). */
async function openLeased(o: OpenStudyOptions, earlier: StudyState | null, runId: string): Promise<Omit<OpenedStudy, 'lease'>> {
  const names = o.steps.map((s) => s.name);
  const ledger = await StoreLedger.open(o.store, o.bucket, runId);

  // Steps whose own inputs differ from their recorded result's: refused unless --restart names them.
  const changed = o.steps.filter((s) => {
    const r = ledger.latest(s.name);
    return r !== null && r.inputs !== inputsDigest(s);
  });
  const changes = earlier ? describeChanges(earlier.settings, o.settings) : [];
  const uncovered = changed.filter((s) => !o.restart.some((p) => stepMatches(p, s.name)));
  if (uncovered.length > 0) {
    const recorded = o.steps.filter((s) => ledger.latest(s.name) !== null);
    const kinds = uncovered.length === recorded.length ? ['all'] : [...new Set(uncovered.map((s) => stepKind(s.name)))];
    throw new StudyChangedError(
      `${o.out} holds a study made with other settings, and its results must not be mixed with these:\n` +
        `${(changes.length > 0 ? changes : ['the inputs of its steps (a new dermagan version?)']).map((c) => `  - ${c}`).join('\n')}\n` +
        `steps whose inputs changed: ${uncovered.map((s) => s.name).join(', ')}.\n` +
        `Run the same command with --restart ${kinds.join(',')} to redo them with these settings${kinds[0] === 'all' ? '' : ' (or --restart all)'}, or choose another --out to keep both`,
    );
  }
  const restarted = await ledger.restart(o.restart, names);
  const state: StudyState = {
    format: STUDY_STATE_FORMAT,
    runId,
    store: o.store.url,
    bucket: o.bucket,
    settings: o.settings,
    createdAt: earlier?.createdAt ?? new Date().toISOString(),
  };
  await o.store.put(o.bucket, `runs/${runId}/study/settings.json`, `${JSON.stringify(state, null, 2)}\n`, { contentType: 'application/json' });
  await writeFileAtomic(join(o.out, STUDY_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
  return { runId, ledger, continuing: earlier !== null, restarted, changes };
}

/** The study the folder holds, or null when it holds none yet. */
export async function readState(out: string): Promise<StudyState | null> {
  let text: string;
  try {
    text = await readFile(join(out, STUDY_STATE_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed = StudyState.safeParse(JSON.parse(text));
  if (!parsed.success) throw new StudyStepError(`${join(out, STUDY_STATE_FILE)} is not a dermagan study's state (${z.prettifyError(parsed.error)}); choose another --out`);
  return parsed.data;
}

/** What differs between two settings, one line each (`preset gan.kimg: 8 → 0.064`). */
export function describeChanges(before: StudySettings, after: StudySettings): string[] {
  const lines: string[] = [];
  if (before.preset.name !== after.preset.name) lines.push(`preset ${String(before.preset.name)} → ${String(after.preset.name)}`);
  else lines.push(...jsonChanges(before.preset, after.preset, '').slice(0, 10).map((c) => `preset ${String(after.preset.name)}: ${c}`));
  if (before.data.path !== after.data.path) lines.push(`data ${before.data.path} → ${after.data.path}`);
  else if (before.data.fingerprint !== after.data.fingerprint && before.data.fingerprint !== null && after.data.fingerprint !== null) {
    lines.push(`the data under ${after.data.path} changed since the study began (its metadata CSV, or the names and sizes of its files)`);
  }
  if (before.federated !== after.federated) lines.push(`the federated GAN ${before.federated ? 'was part of it, now it is not' : 'was not part of it, now it is'}`);
  return lines;
}

/** Paths whose values differ (`gan.kimg: 8 → 0.064`); arrays compare whole. */
function jsonChanges(a: unknown, b: unknown, path: string): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => jsonChanges(a[k], b[k], path ? `${path}.${k}` : k));
  }
  const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${path}: ${show(a)} → ${show(b)}`];
}
