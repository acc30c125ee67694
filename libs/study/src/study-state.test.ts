/** A study's folder and its ledger in the store: kept across runs, refused when the settings changed, restarted when asked. */
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStore } from '@dermagan/store';
import { describe, expect, it } from 'vitest';
import { StoreLedger } from './ledger.ts';
import { PRESETS, type StudyPreset } from './presets.ts';
import { inputsDigest } from './runner.ts';
import { planSteps } from './steps/index.ts';
import { openStudy, STUDY_STATE_FILE, StudyChangedError, type StudySettings } from './study-state.ts';

async function folder() {
  const root = await mkdtemp(join(tmpdir(), 'study-state-'));
  await mkdir(join(root, 'out'));
  return { out: join(root, 'out'), store: new LocalStore({ root: join(root, 'store') }) };
}

const settings = (preset: StudyPreset, fingerprint = 'f1'): StudySettings => ({ preset: { ...preset }, data: { path: '/data/metadata.csv', fingerprint }, federated: true });
const steps = (preset: StudyPreset, data = 'f1') => planSteps({ preset, federation: true, data });

/** Record every step as done (the runner's record, minus the work). */
async function recordAll(ledger: StoreLedger, preset: StudyPreset, data = 'f1') {
  for (const s of steps(preset, data)) {
    await ledger.record({ name: s.name, key: `k-${s.name}`, inputs: inputsDigest(s), version: s.version, generation: 0, output: {}, startedAt: 'x', finishedAt: 'y', run: 0 });
  }
}

describe('openStudy', () => {
  it('names a new study in OUT/study.json and finds it again, with its ledger, on the next run', async () => {
    const { out, store } = await folder();
    const first = await openStudy({ out, store, bucket: 'dermagan', settings: settings(PRESETS.smoke), steps: steps(PRESETS.smoke), restart: [] });
    expect(first.continuing).toBe(false);
    const run = await first.ledger.startRun();
    await first.ledger.begin({ name: 'train:ben-gan', key: 'k', startedAt: 'x', run });
    await first.ledger.publish('study-x:train:ben-gan:12345678:train');
    await recordAll(first.ledger, PRESETS.smoke);
    const state = JSON.parse(await readFile(join(out, STUDY_STATE_FILE), 'utf8')) as { runId: string };
    expect(state.runId).toBe(first.runId);

    const again = await openStudy({ out, store, bucket: 'dermagan', settings: settings(PRESETS.smoke), steps: steps(PRESETS.smoke), restart: [] });
    expect(again).toMatchObject({ runId: first.runId, continuing: true, restarted: [], changes: [] });
    expect(again.ledger.latest('ingest')).toMatchObject({ key: 'k-ingest' });
    expect(again.ledger.published('study-x:train:ben-gan:12345678:train')).toBe(true);
    expect(again.ledger.runs()).toMatchObject([{ run: 0, ended: null, stoppedAt: null }]); // a run that never said how it ended: killed
  });

  it('refuses another preset or other data, saying what changed and what to run, and leaves the study as it was', async () => {
    const { out, store } = await folder();
    const first = await openStudy({ out, store, bucket: 'dermagan', settings: settings(PRESETS.smoke), steps: steps(PRESETS.smoke), restart: [] });
    await recordAll(first.ledger, PRESETS.smoke);

    const longer: StudyPreset = { ...PRESETS.smoke, gan: { ...PRESETS.smoke.gan, kimg: 0.128 } };
    const refused = openStudy({ out, store, bucket: 'dermagan', settings: settings(longer), steps: steps(longer), restart: [] });
    await expect(refused).rejects.toThrow(StudyChangedError);
    await expect(refused).rejects.toThrow(/preset smoke: gan\.kimg: 0\.064 → 0\.128[\s\S]*steps whose inputs changed: train:ben-gan, train:mal-gan, train:cgan-ada[\s\S]*--restart train/);

    const otherData = openStudy({ out, store, bucket: 'dermagan', settings: settings(PRESETS.smoke, 'f2'), steps: steps(PRESETS.smoke, 'f2'), restart: [] });
    await expect(otherData).rejects.toThrow(/the data under \/data\/metadata\.csv changed[\s\S]*steps whose inputs changed: ingest, ingest:tenants[\s\S]*--restart ingest/);
    await expect(openStudy({ out, store, bucket: 'dermagan', settings: settings(PRESETS.quick), steps: steps(PRESETS.quick), restart: [] })).rejects.toThrow(/preset smoke → quick/);
    await expect(openStudy({ out, store, bucket: 'other', settings: settings(PRESETS.smoke), steps: steps(PRESETS.smoke), restart: [] })).rejects.toThrow(/artifacts are in bucket dermagan .*--bucket dermagan/);

    // Naming the changed steps accepts the new settings; the named steps get a new generation.
    const accepted = await openStudy({ out, store, bucket: 'dermagan', settings: settings(longer), steps: steps(longer), restart: ['train'] });
    expect(accepted.restarted).toEqual(['train:ben-gan', 'train:mal-gan', 'train:cgan-ada']);
    expect(accepted.changes).toEqual(['preset smoke: gan.kimg: 0.064 → 0.128']);
    expect(accepted.ledger.generation('train:ben-gan')).toBe(1);
    const reopened = await StoreLedger.open(store, 'dermagan', accepted.runId);
    expect([reopened.generation('train:ben-gan'), reopened.generation('ingest')]).toEqual([1, 0]);
  });

  it('refuses a --restart that names no step, listing the names', async () => {
    const { out, store } = await folder();
    await expect(openStudy({ out, store, bucket: 'dermagan', settings: settings(PRESETS.smoke), steps: steps(PRESETS.smoke), restart: ['trian'] })).rejects.toThrow(
      /--restart trian: no step of this study is named so; its steps are all, ingest, train, generate/,
    );
  });
});
