/**
 * The study end to end on the embedded bus and store (tiny sizes): the events flow through every
 * service, the report holds every section and its numbers equal results.json, a request for a
 * missing checkpoint dead-letters with a clear reason without breaking the rest, and a trainer
 * stopped mid-run continues from its checkpoint when the request comes again.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTf } from '@dermagan/tf';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '@dermagan/bus';
import { GenerationRequested, IngestRequested, TrainingRequested, DatasetIngested, type FolderRef } from '@dermagan/contracts';
import { FolderCache } from '@dermagan/runtime';
import { handleTrainingRequested } from '@dermagan/service-gan-trainer';
import { LocalStore } from '@dermagan/store';
import { formatNumber, PRESETS, runStudy, StudyResults, type AuditOutput, type ExplainOutput, type StudyOutcome } from '@dermagan/study';
import { startEmbeddedFederation, startEmbeddedServices } from '../cli/embedded-services.ts';

const backend = await loadTf();

const DEMO = new URL('../data/demo/metadata.csv', import.meta.url).pathname;

async function embedded() {
  const root = await mkdtemp(join(tmpdir(), 'study-flow-'));
  const bus = new MemoryBus({ retry: { retries: 1, initialRetryTimeMs: 10, maxRetryTimeMs: 20 } });
  const store = new LocalStore({ root: join(root, 'store') });
  await bus.start();
  await startEmbeddedServices({ backend, bus, store, workDir: join(root, 'work') });
  return { root, bus, store, folders: new FolderCache(store, join(root, 'folders')) };
}

describe('the study on the embedded bus and store', () => {
  let outcome: StudyOutcome;
  let out: string;
  let store: LocalStore;

  beforeAll(async () => {
    const env = await embedded();
    store = env.store;
    out = join(env.root, 'out');
    const federation = await startEmbeddedFederation({ backend, bus: env.bus, store: env.store, workDir: join(env.root, 'work'), tenants: 3 });
    outcome = await runStudy({
      federation,
      data: DEMO,
      out,
      preset: PRESETS.smoke,
      bus: env.bus,
      store: env.store,
      bucket: 'dermagan',
      fetchFolder: (ref) => env.folders.fetch(ref),
      environment: { bus: 'memory', store: env.store.url },
    });
    await federation.close();
    await env.bus.close();
  }, 1_200_000); // every step of the smoke preset, the audits and the explanation included: ~3–5 min on 2 idle cores

  it('runs every step and writes results.json that validates', async () => {
    const results = StudyResults.parse(JSON.parse(await readFile(outcome.resultsPath, 'utf8')));
    expect(results.gans.map((g) => g.model)).toEqual(['ben-GAN', 'mal-GAN', 'cGAN (ADA)']);
    expect(results.gans.every((g) => g.history.length >= 2 && g.kimg >= PRESETS.smoke.gan.kimg)).toBe(true);
    expect(results.fidelity.map((f) => f.model)).toEqual(['ben-GAN', 'mal-GAN', 'cGAN (ADA)']);
    // Table 1 in the paper's units: FID/KID in Inception-2015 (sg2ada) on the smoke's 16 images a set, PPL in LPIPS-VGG16.
    for (const f of results.fidelity) {
      expect(f.scores.fid).toBeGreaterThan(0);
      expect(f.scores.kid).toBeTypeOf('number');
      expect(f.scores.ppl).toBeGreaterThan(0);
      expect(f.provenance).toMatchObject({ extractor: { id: 'inception-2015', preprocessing: 'sg2ada' }, nReal: 16, nFake: 16, ppl: { samples: 16, features: { ppl: { id: 'lpips-vgg16' } } } });
    }
    // The appendix: every GAN, the federated one too, on every image in pixel space.
    expect(results.appendixFidelity.map((f) => f.model)).toEqual(['ben-GAN', 'mal-GAN', 'cGAN (ADA)', 'federated GAN']);
    for (const f of results.appendixFidelity) {
      expect(f.scores.fd_pixels_rp64).toBeGreaterThan(0);
      expect(f.provenance).toMatchObject({ extractor: { id: 'pixels-rp64' } });
    }
    expect(results.appendixFidelity[0]!.provenance.nFake).toBe(PRESETS.smoke.generatePerClass);
    expect(results.utility.map((u) => u.name)).toEqual(['real', 'synth-GAN', 'aug-GAN', 'synth-cGAN', 'aug-cGAN']);
    for (const u of results.utility) {
      expect(u.measures).toMatchObject({ n: expect.any(Number), prevalence: expect.any(Number) });
      expect(u.measures.auc).toBeGreaterThanOrEqual(0);
    }
    expect(results.data.counts.total).toBe(300);
    // The federated GAN beside the central one: every round aggregated all three tenants.
    const fed = results.federation as { rounds: Array<{ accepted: string[]; aggregated: boolean }>; tenantImages: Record<string, number>; scores: Record<string, number>; ratioToCentral: number };
    expect(fed.rounds).toHaveLength(PRESETS.smoke.federation!.rounds);
    expect(fed.rounds.every((r) => r.aggregated && r.accepted.length === 3)).toBe(true);
    expect(Object.values(fed.tenantImages).reduce((a, b) => a + b, 0)).toBe(results.data.counts['split:train']);
    expect(fed.scores.fid).toBeGreaterThan(0);
    expect(fed.ratioToCentral).toBeGreaterThan(0);
    // The privacy audit of every GAN through the projector service; the federated one per tenant.
    const audits = ['ben-gan', 'mal-gan', 'cgan-ada', 'federated'].map((run) => results.steps[`audit:${run}`]!.output as AuditOutput);
    for (const a of audits) {
      expect(a.attack.members).toBe(PRESETS.smoke.audit!.members);
      expect(a.attack.membershipAuc).toBeGreaterThanOrEqual(0);
      expect(a.attack.membershipAuc).toBeLessThanOrEqual(1);
      expect(a.attack.generated).toBe(PRESETS.smoke.audit!.generated);
      expect(a.view).toMatchObject({ format: 'dermagan.privacy-audit/v1', space: 'lpips-vgg16' });
      expect(a.pairImages.length).toBeGreaterThan(0);
    }
    // Per tenant: the hospitals whose images the seeded sample of members drew, their members adding up.
    const byTenant = audits[3]!.attack.byTenant;
    expect(byTenant.length).toBeGreaterThan(0);
    expect(byTenant.every((t) => ['tenant-0', 'tenant-1', 'tenant-2'].includes(t.tenant) && t.members > 0)).toBe(true);
    expect(byTenant.reduce((n, t) => n + t.members, 0)).toBe(PRESETS.smoke.audit!.members);
    // The privacy-audit.json of each is under projections/, where the portal finds it.
    expect(audits.every((a) => a.attack.privacyAudit.key.startsWith(`projections/${results.provenance.runId}/`))).toBe(true);
    // The explanation: the classifier's edge cases projected into the cGAN (libs/projector) and their latent neighbours.
    const explained = results.steps.explain!.output as ExplainOutput;
    expect(explained.numbers.edge_cases).toBeGreaterThan(0);
    expect(explained.skipped.neighbours).toBeUndefined();
    expect(explained.numbers.edge_aug_delta_auc).toBeTypeOf('number');
    expect(results.provenance).toMatchObject({ dataFingerprint: results.data.fingerprint, dermaganVersion: expect.any(String) });
  });

  it('writes a self-contained report with every section, its numbers equal to results.json', async () => {
    const html = await readFile(outcome.reportPath, 'utf8');
    for (const id of ['table1', 'table2', 'training', 'samples', 'real-vs-synthetic', 'federation', 'privacy', 'explainability', 'survey', 'appendix-pixels', 'provenance']) expect(html).toContain(`id="${id}"`);
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="https?:/); // nothing fetched from a network
    // The store holds the same report and results, where the portal serves them (reports/<runId>/).
    const runId = outcome.results.provenance.runId as string;
    expect((await store.getBytes('dermagan', `reports/${runId}/report.html`)).toString('utf8')).toBe(html);
    expect((await store.getBytes('dermagan', `reports/${runId}/results.json`)).toString('utf8')).toBe(await readFile(outcome.resultsPath, 'utf8'));
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(2); // plots rendered by vega
    expect((html.match(/src="data:image\/png;base64,/g) ?? []).length).toBeGreaterThanOrEqual(5); // grids inline
    const results = outcome.results;
    const shown = new Map([...html.matchAll(/data-key="([^"]+)">([^<]*)</g)].map((m) => [m[1]!, m[2]!])); // <span> and <b>
    for (const f of results.fidelity) {
      expect(shown.get(`fidelity.${f.model}.fid`)).toBe(formatNumber(f.scores.fid));
      expect(shown.get(`fidelity.${f.model}.kid`)).toBe(formatNumber((f.scores.kid as number) * 100));
      expect(shown.get(`fidelity.${f.model}.ppl`)).toBe(formatNumber(f.scores.ppl));
    }
    for (const f of results.appendixFidelity) expect(shown.get(`appendix.${f.model}.fd_pixels_rp64`)).toBe(formatNumber(f.scores.fd_pixels_rp64));
    expect(html).toContain('FID (ours)');
    expect(html).toContain('FID from few images is biased upwards');
    expect(html).toContain('No survey run');
    for (const run of ['ben-gan', 'mal-gan', 'cgan-ada', 'federated']) {
      const a = results.steps[`audit:${run}`]!.output as AuditOutput;
      expect(shown.get(`privacy.${a.model}.membershipAuc`)).toBe(formatNumber(a.attack.membershipAuc, 3));
      expect(shown.get(`privacy.${a.model}.copiesFlagged`)).toBe(String(a.attack.copiesFlagged));
    }
    const explained = results.steps.explain!.output as ExplainOutput;
    expect(shown.get('explain.edge_cases')).toBe(String(explained.numbers.edge_cases));
    expect(shown.get('explain.edge_aug.delta')).toBe(formatNumber(explained.numbers.edge_aug_delta_auc, 3));
    const fed = results.federation as { scores: Record<string, number>; ratioToCentral: number };
    expect(shown.get('federation.fid')).toBe(formatNumber(fed.scores.fid));
    expect(shown.get('federation.ratio')).toBe(formatNumber(fed.ratioToCentral, 3));
    // The smoke preset: central 0.064 kimg at batch 8 = 8 steps; federation 3 tenants × 2 rounds × K 3.
    expect(['central', 'federatedTotal', 'perTenant'].map((k) => shown.get(`federation.iterations.${k}`))).toEqual(['8', '18', '6']);
    // The presets federate with secure aggregation: no per-tenant norms exist, the report says so.
    expect((results.federation as { secagg: boolean }).secagg).toBe(true);
    expect(html).toContain('the aggregator sees nothing but their sum (secure aggregation)');
    for (const u of results.utility) {
      for (const key of ['auc', 'pr_auc', 'accuracy', 'balanced_accuracy', 'sensitivity', 'specificity', 'prevalence', 'n']) {
        expect(shown.get(`utility.${u.name}.${key}`), `${u.name} ${key}`).toBe(formatNumber(u.measures[key]));
      }
    }
  });
});

describe('faults on the embedded bus', () => {
  it('dead-letters a generation request for a checkpoint that does not exist, and keeps serving others', async () => {
    const env = await embedded();
    const missing: FolderRef = {
      bucket: 'dermagan',
      prefix: 'runs/nope/checkpoint/',
      manifest: { bucket: 'dermagan', key: 'runs/nope/checkpoint/checkpoint.json', sha256: 'a'.repeat(64), size: 1 },
    };
    const request = GenerationRequested.create({ checkpoint: missing, perClass: { '0': 4 }, output: { bucket: 'dermagan', prefix: 'synthetic/x/' }, name: 'x' });
    const dead = new Promise((resolve) => env.bus.moments.on('deadLettered', resolve));
    await env.bus.publish(request);
    await dead;
    const letters = await env.bus.readDeadLetters(GenerationRequested.type);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.event.id).toBe(request.id);
    expect(letters[0]!.error).toMatchObject({ retriable: false });
    expect(letters[0]!.error.message).toMatch(/checkpoint dermagan\/runs\/nope\/checkpoint\/ does not exist/);

    // Nothing else broke: an ingest request is still served.
    const ingested = new Promise((resolve) =>
      env.bus.subscribe({ group: 'test', types: [DatasetIngested.type], parse: (r) => DatasetIngested.parse(r), handler: async (e) => resolve(e.data) }),
    );
    await env.bus.publish(
      IngestRequested.create({ source: { kind: 'auto', path: DEMO }, output: { bucket: 'dermagan', prefix: 'datasets/after/' }, size: 16, split: 0.8, seed: 0, tenants: null }),
    );
    expect(await ingested).toMatchObject({ accepted: 300 });
    await env.bus.close();
  });

  it('continues a stopped training from its last checkpoint when the request is delivered again', async () => {
    const env = await embedded();
    const ingested = new Promise<FolderRef>((resolve) =>
      env.bus.subscribe({ group: 'test', types: [DatasetIngested.type], parse: (r) => DatasetIngested.parse(r), handler: async (e) => resolve(e.data.dataset) }),
    );
    await env.bus.publish(
      IngestRequested.create({ source: { kind: 'auto', path: DEMO }, output: { bucket: 'dermagan', prefix: 'datasets/r/' }, size: 16, split: 0.8, seed: 0, tenants: null }),
    );
    const dataset = await ingested;
    const request = TrainingRequested.create({
      run: 'resume-me',
      dataset,
      classFilter: null,
      config: { ...PRESETS.smoke.gan, kimg: 0.096, cond: true },
      output: { bucket: 'dermagan', prefix: 'runs/t/gans/resume-me/' },
    });
    const deps = { backend, store: env.store, folders: env.folders, workDir: join(env.root, 'trainer') };
    const published: string[] = [];
    const publish = async (e: { type: string }) => void published.push(e.type);

    // First delivery: stopped (SIGTERM path) after the first tick's checkpoint.
    const stop = new AbortController();
    const first = handleTrainingRequested(request, deps, async (e) => {
      await publish(e);
      if (e.type.endsWith('checkpoint.saved.v1')) stop.abort();
    }, stop.signal);
    await expect(first).rejects.toThrow(/interrupted at .* kimg; it resumes from the checkpoint/);
    const saved = published.filter((t) => t.endsWith('checkpoint.saved.v1')).length;
    expect(saved).toBeGreaterThanOrEqual(1);

    // Redelivery: continues from the checkpoint, not from scratch.
    const completed = await handleTrainingRequested(request, deps, publish);
    expect(completed.data.resumedFromKimg).toBeGreaterThan(0);
    expect(completed.data.kimg).toBeGreaterThanOrEqual(0.096);
    const history = JSON.parse((await env.store.getBytes('dermagan', 'runs/t/gans/resume-me/history.json')).toString('utf8')) as Array<{ kimg: number }>;
    const kimgs = history.map((h) => h.kimg);
    expect(kimgs).toEqual([...kimgs].sort((a, b) => a - b)); // no tick trained twice
    expect(new Set(kimgs).size).toBe(kimgs.length);
    await env.bus.close();
  });
});
