/** The study's plan: every preset's steps, their needs, and which steps a preset change touches. */
import { describe, expect, it } from 'vitest';
import { PRESETS, type StudyPreset } from '../presets.ts';
import { orderSteps, stepKey } from '../runner.ts';
import { planSteps } from './index.ts';

const names = (preset: StudyPreset, federation = true) => planSteps({ preset, federation }).map((s) => s.name);

describe('the study plan', () => {
  it('smoke: ingest, a train/generate/fidelity chain per GAN, a utility step per row, and the federated chain', () => {
    expect(names(PRESETS.smoke)).toEqual([
      'ingest',
      'train:ben-gan', 'train:mal-gan', 'train:cgan-ada',
      'generate:ben-gan', 'generate:mal-gan', 'generate:cgan-ada',
      'fidelity:ben-gan', 'fidelity:mal-gan', 'fidelity:cgan-ada',
      'utility:real', 'utility:synth-GAN', 'utility:aug-GAN', 'utility:synth-cGAN', 'utility:aug-cGAN',
      'ingest:tenants', 'federate', 'checkpoint:federated', 'generate:federated', 'fidelity:federated',
    ]);
    expect(names(PRESETS.smoke, false).some((n) => /federat|tenants/.test(n))).toBe(false);
  });

  it('every preset plans a valid graph whose inputs are plain JSON', () => {
    for (const preset of Object.values(PRESETS)) {
      const steps = orderSteps(planSteps({ preset, federation: true }));
      for (const s of steps) expect(JSON.parse(JSON.stringify(s.inputs)), s.name).toEqual(s.inputs);
    }
    expect(planSteps({ preset: PRESETS.paper, federation: true }).map((s) => s.name)).toContain('train:cgan-ada-nocolour');
  });

  it('the utility rows need the synthetic sets they train on', () => {
    const steps = new Map(planSteps({ preset: PRESETS.quick, federation: true }).map((s) => [s.name, s]));
    expect(steps.get('utility:real')!.needs).toEqual(['ingest']);
    expect(steps.get('utility:synth-GAN')!.needs).toEqual(['ingest', 'generate:ben-gan', 'generate:mal-gan']);
    expect(steps.get('fidelity:federated')!.needs).toEqual(['ingest', 'generate:federated']);
  });

  it('a changed classifier option changes the utility steps’ keys and nothing else', () => {
    const keys = (preset: StudyPreset) => new Map(planSteps({ preset, federation: true }).map((s) => [s.name, stepKey(s, 0, new Map())]));
    const before = keys(PRESETS.quick);
    const after = keys({ ...PRESETS.quick, classifier: { ...PRESETS.quick.classifier, epochs: 7 } });
    const changed = [...before].filter(([n, k]) => after.get(n) !== k).map(([n]) => n);
    expect(changed).toEqual(['utility:real', 'utility:synth-GAN', 'utility:aug-GAN', 'utility:synth-cGAN', 'utility:aug-cGAN']);
  });
});
