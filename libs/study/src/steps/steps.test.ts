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
      'fidelity:ben-gan', 'fidelity-pixels:ben-gan', 'fidelity:mal-gan', 'fidelity-pixels:mal-gan', 'fidelity:cgan-ada', 'fidelity-pixels:cgan-ada',
      'ppl:ben-gan', 'ppl:mal-gan', 'ppl:cgan-ada',
      'utility:real', 'utility:synth-GAN', 'utility:aug-GAN', 'utility:synth-cGAN', 'utility:aug-cGAN',
      'ingest:tenants', 'federate', 'checkpoint:federated', 'generate:federated', 'fidelity:federated', 'fidelity-pixels:federated',
      'audit:ben-gan', 'audit:mal-gan', 'audit:cgan-ada', 'audit:federated',
      'explain',
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

  it('Table 1 scores a capped sample in Inception-2015, the appendix every image in pixel space, PPL from the checkpoint', () => {
    const steps = new Map(planSteps({ preset: PRESETS.quick, federation: true }).map((s) => [s.name, s]));
    expect(steps.get('fidelity:mal-gan')!.inputs).toEqual({
      model: 'mal-GAN', realClass: 1, extractor: 'inception-2015', metrics: ['fid', 'kid', 'pr', 'dc', 'auth'],
      metricOptions: { kidSubsets: 20, kidSubsetSize: 64, k: 3, maxImages: 64 },
    });
    expect(steps.get('fidelity-pixels:mal-gan')!.inputs).toEqual({
      model: 'mal-GAN', realClass: 1, extractor: 'pixels-rp64', metrics: ['fid', 'kid', 'pr', 'dc', 'auth'],
      metricOptions: { kidSubsets: 20, kidSubsetSize: 64, k: 3 },
    });
    expect(steps.get('ppl:cgan-ada')!.needs).toEqual(['train:cgan-ada']);
    expect(steps.get('ppl:cgan-ada')!.inputs).toEqual({ model: 'cGAN (ADA)', samples: 200, seed: 0, sampling: 'end' });
    // No PPL and no appendix when the preset asks for none.
    const bare = planSteps({ preset: { ...PRESETS.smoke, ppl: null, appendixExtractor: null }, federation: false }).map((s) => s.name);
    expect(bare.filter((n) => n.startsWith('ppl:') || n.startsWith('fidelity-pixels:'))).toEqual([]);
  });

  it('audits every GAN from its checkpoint and the images it trained on, the federated one on the tenants\' images', () => {
    const steps = new Map(planSteps({ preset: PRESETS.smoke, federation: true }).map((s) => [s.name, s]));
    expect(steps.get('audit:mal-gan')!.needs).toEqual(['ingest', 'train:mal-gan']);
    expect(steps.get('audit:mal-gan')!.inputs).toEqual({ model: 'mal-GAN', classFilter: 1, spec: PRESETS.smoke.audit, seed: 0 });
    expect(steps.get('audit:federated')!.needs).toEqual(['ingest:tenants', 'checkpoint:federated']);
    expect(PRESETS.paper.audit).toMatchObject({ options: {}, spaces: ['inception-2015'] }); // the reference projector's defaults
    expect(planSteps({ preset: { ...PRESETS.smoke, audit: null }, federation: true }).some((s) => s.name.startsWith('audit:'))).toBe(false);
  });

  it('explains the real-data classifier and the conditional GAN beside every synthetic set', () => {
    const explain = planSteps({ preset: PRESETS.quick, federation: true }).find((s) => s.name === 'explain')!;
    expect(explain.needs).toEqual(['ingest', 'utility:real', 'train:cgan-ada', 'generate:ben-gan', 'generate:mal-gan', 'generate:cgan-ada']);
    expect(explain.inputs).toEqual({ spec: PRESETS.quick.explain, classifier: 'real', generator: 'cgan-ada', synthetic: ['ben-GAN', 'mal-GAN', 'cGAN (ADA)'] });
    expect(planSteps({ preset: { ...PRESETS.quick, explain: null }, federation: true }).some((s) => s.name === 'explain')).toBe(false);
  });

  it('a changed classifier option changes the utility steps’ keys and nothing else', () => {
    const keys = (preset: StudyPreset) => new Map(planSteps({ preset, federation: true }).map((s) => [s.name, stepKey(s, 0, new Map())]));
    const before = keys(PRESETS.quick);
    const after = keys({ ...PRESETS.quick, classifier: { ...PRESETS.quick.classifier, epochs: 7 } });
    const changed = [...before].filter(([n, k]) => after.get(n) !== k).map(([n]) => n);
    // (explain reads utility:real's result, so it is redone through its need, not its key here.)
    expect(changed).toEqual(['utility:real', 'utility:synth-GAN', 'utility:aug-GAN', 'utility:synth-cGAN', 'utility:aug-cGAN']);
  });
});
