/**
 * `dermagan audit`: can this generator give a patient's image away? Membership inference through
 * the projector (training images vs held-out images), likely copies among N generated images in
 * LPIPS / Inception / classifier space, authenticity — one output folder, one JSON line. A thin
 * wrapper over `auditGenerator()` in @dermagan/projector; resumable like `project`.
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { AUDIT_SPACES } from '@dermagan/contracts';
import { FolderCheckpointSink, loadGenerator } from '@dermagan/gan';
import { createExtractor, INCEPTION_2015_ID, type FeatureExtractor } from '@dermagan/metrics';
import { auditGenerator, createPerceptual, type AuditResult, type Selection } from '@dermagan/projector';
import { loadTf } from '@dermagan/tf';
import { nonNegativeInt, positiveInt, printJson, UserError } from '../output.ts';
import { asUserError, classifierSpace, projectionOptions, projectionProgress, projectorOptionsOf, type ProjectionFlags } from './project.ts';

type Split = 'train' | 'test' | 'all';

interface AuditFlags extends ProjectionFlags {
  ckpt: string;
  members: string;
  nonMembers: string;
  membersSplit?: Split;
  nonMembersSplit?: Split;
  n?: number;
  nonMembersN?: number;
  class?: number;
  generated: number;
  spaces: string[];
  resamples: number;
}

const SPACES = AUDIT_SPACES;

function spaceList(v: string): string[] {
  const list = v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const bad = list.filter((s) => !(SPACES as readonly string[]).includes(s) && s !== 'none');
  if (bad.length > 0) throw new UserError(`--spaces takes ${SPACES.join(', ')} or none (the projector's distance space is always searched); got "${v}"`);
  return list.filter((s) => s !== 'none');
}

/** The audit as its `--json` line: the headline keys first, the rest by space and tenant. */
export function auditJson(r: AuditResult) {
  const m = r.membership!;
  const tpr = (fpr: number) => m.tprAtFpr.find((t) => t.fpr === fpr);
  return {
    membership_auc: m.auc,
    membership_auc_ci: [m.ci.low, m.ci.high],
    tpr_at_fpr_1pct: tpr(0.01)?.tpr ?? null,
    tpr_at_fpr_0_1pct: tpr(0.001)?.tpr ?? null,
    tpr_resolved: Object.fromEntries(m.tprAtFpr.map((t) => [String(t.fpr), t.resolved])),
    copies_flagged: r.copiesFlagged,
    copies_rule: r.copyRule,
    generated: r.generated,
    members: m.members,
    non_members: m.nonMembers,
    patients: m.patients,
    spaces: Object.fromEntries(r.spaces.map((s) => [s.space, { flagged: s.flagged, threshold: s.threshold, authenticity: s.authenticity, nearest_median: s.nearest.median, real_to_real_median: s.realToReal.median }])),
    by_tenant: r.byTenant.map((t) => ({ tenant: t.tenant, members: t.membership.members, membership_auc: t.membership.auc, membership_auc_ci: [t.membership.ci.low, t.membership.ci.high], tpr_at_fpr_1pct: t.membership.tprAtFpr[0]?.tpr ?? null, copies_flagged: t.flagged })),
    projection_distance: { members: r.projections.members.distance, non_members: r.projections.nonMembers.distance, space: r.projections.members.perceptual },
    out: r.out,
  };
}

export function registerAudit(program: Command): void {
  const command = program
    .command('audit')
    .description("Privacy audit of a generator: membership inference through the projector, likely copies of training images, authenticity")
    .requiredOption('--ckpt <dir>', "checkpoint folder (OUT/checkpoint of 'dermagan train')")
    .requiredOption('--members <dir>', "dataset folder of the generator's training images")
    .requiredOption('--non-members <dir>', 'dataset folder of held-out images of the same distribution')
    .addOption(new Option('--members-split <split>', 'only members of this split (default: train when both folders are the same, else all)').choices(['train', 'test', 'all']))
    .addOption(new Option('--non-members-split <split>', 'only non-members of this split (default: test when both folders are the same, else all)').choices(['train', 'test', 'all']))
    .option('--n <n>', 'project a seeded sample of n members (default: all; all are searched for copies)', positiveInt('--n'))
    .option('--non-members-n <n>', 'project n non-members (default: as many as members)', positiveInt('--non-members-n'))
    .option('--class <c>', 'only images of this class (a one-class generator: its class)', nonNegativeInt('--class'))
    .option('--generated <n>', 'generated images searched for copies', positiveInt('--generated'), 256)
    .option('--spaces <list>', `feature spaces searched besides the projector's distance: ${SPACES.join(', ')} or none`, spaceList, [INCEPTION_2015_ID])
    .option('--resamples <n>', 'bootstrap resamples of the AUC interval', positiveInt('--resamples'), 1000)
    .requiredOption('--out <dir>', 'output folder (rerun with the same folder to continue)')
    .option('--json', 'print the result as one JSON line on stdout');
  projectionOptions(command).action(async (flags: AuditFlags) => {
    if (flags.spaces.includes('classifier') && !flags.classifier) throw new UserError('--spaces classifier needs --classifier DIR');
    const same = resolve(flags.members) === resolve(flags.nonMembers);
    const split = (given: Split | undefined, fallback: Split): Selection['split'] => (given ? [given] : same ? [fallback] : undefined);
    const classes = flags.class !== undefined ? { classes: [flags.class] } : {};
    const membersSplit = split(flags.membersSplit, 'train');
    const nonMembersSplit = split(flags.nonMembersSplit, 'test');
    const { tf } = await loadTf();
    let ui: ReturnType<typeof projectionProgress> | undefined;
    const owned: FeatureExtractor[] = [];
    try {
      const loaded = await loadGenerator(tf, new FolderCheckpointSink(flags.ckpt));
      const { options, distance } = projectorOptionsOf(flags);
      const classifier = await classifierSpace(tf, flags.classifier);
      const spaces: FeatureExtractor[] = [];
      for (const id of flags.spaces) if (id !== 'classifier') owned.push(await createExtractor(id, { tf }));
      spaces.push(...owned);
      if (classifier && flags.spaces.includes('classifier')) spaces.push(classifier);
      ui = projectionProgress('audit');
      const result = await auditGenerator(tf, {
        loaded,
        members: { data: flags.members, selection: { ...(membersSplit ? { split: membersSplit } : {}), ...classes, ...(flags.n !== undefined ? { n: flags.n } : {}) } },
        nonMembers: { data: flags.nonMembers, selection: { ...(nonMembersSplit ? { split: nonMembersSplit } : {}), ...classes, ...(flags.nonMembersN !== undefined ? { n: flags.nonMembersN } : {}) } },
        out: flags.out,
        projector: options,
        perceptual: await createPerceptual(tf, distance),
        spaces,
        ...(classifier ? { classifier } : {}),
        generated: flags.generated,
        seed: flags.seed,
        membership: { resamples: flags.resamples, seed: flags.seed },
        onProgress: (stage, p) => {
          if ('steps' in p) ui!.onProgress(p);
          else process.stderr.write(`audit: ${stage} ${p.done}/${p.total}\n`);
        },
        signal: ui.signal,
      });
      ui.stop();
      if (result.stopped === 'aborted') {
        process.exitCode = 130;
        process.stdout.write(`stopped; rerun the same command to continue (${flags.out})\n`);
        return;
      }
      if (flags.json) printJson(auditJson(result));
      else {
        const m = result.membership!;
        process.stdout.write(
          `membership AUC ${m.auc.toFixed(3)} [${m.ci.low.toFixed(3)}, ${m.ci.high.toFixed(3)}], TPR at 1% FPR ${auditJson(result).tpr_at_fpr_1pct?.toFixed(3)}; ` +
            `${result.copiesFlagged} of ${result.generated} generated images flagged as likely copies → ${flags.out}\n`,
        );
      }
    } catch (err) {
      ui?.stop();
      throw asUserError(err);
    } finally {
      for (const e of owned) e.dispose?.();
    }
  });
}
