/** The Privacy section from audit results: the attack table with CIs, the closest pairs, the per-tenant rows. */
import { describe, expect, it } from 'vitest';
import type { StudyResults } from '../results.ts';
import type { AuditOutput } from '../steps/audit.ts';
import { privacySection } from './privacy.ts';

const ref = (key: string) => ({ bucket: 'b', key, sha256: 'a'.repeat(64), size: 1 });

function audit(model: string, run: string, byTenant: AuditOutput['attack']['byTenant'] = []): AuditOutput {
  return {
    model,
    run,
    attack: {
      name: run, privacyAudit: ref(`projections/s/${run}/privacy-audit.json`), report: ref(`projections/s/${run}/audit.json`),
      membershipAuc: 0.5625, membershipAucCi: [0.31, 0.8], tprAtFpr1pct: 0.125, tprAtFpr01pct: 0, members: 8, nonMembers: 8,
      tprResolved: [false, false], copiesFlagged: 2, copyRule: 'below the 1st percentile of real-to-real distances', generated: 16,
      spaces: { 'lpips-vgg16': { flagged: 2, threshold: 0.05, authenticity: 0.75 } }, byTenant,
    },
    view: {
      format: 'dermagan.privacy-audit/v1', name: run, checkpoint: null, space: 'lpips-vgg16',
      membership: { auc: 0.5625, members: 8, nonMembers: 8 }, authenticity: 0.75, copyThreshold: 0.05,
      closestPairs: [{ generated: ref('g0.png'), real: ref('r0.png'), realId: 'ISIC_1', distance: 0.04, flagged: true }, { generated: ref('g1.png'), real: ref('r1.png'), realId: 'ISIC_2', distance: 0.09, flagged: false }],
      histograms: [
        { name: 'projection distance: members', edges: [0, 0.5, 1], counts: [5, 3] },
        { name: 'projection distance: non-members', edges: [0, 0.5, 1], counts: [2, 6] },
      ],
    },
    pairImages: [{ generated: 'R0VO', real: 'UkVBTA==' }, { generated: 'R0VOMQ==', real: 'UkVBTDE=' }],
  };
}

const ben = audit('ben-GAN', 'ben-gan');
const fed = audit('federated GAN', 'federated', [
  { tenant: 'tenant-0', membershipAuc: 0.6, membershipAucCi: [0.4, 0.9], tprAtFpr1pct: 0.25, tprAtFpr01pct: 0, members: 3, copiesFlagged: { 'lpips-vgg16': 1 } },
]);
const step = (output: AuditOutput) => ({ status: 'done' as const, run: 0, startedAt: '', finishedAt: '', key: 'k', output });
const results = { preset: { name: 'smoke', audit: { members: 8 } }, steps: { 'audit:ben-gan': step(ben), 'audit:federated': step(fed) } } as unknown as StudyResults;
const keyed = (html: string) => new Map([...html.matchAll(/data-key="([^"]+)">([^<]*)</g)].map((m) => [m[1]!, m[2]!]));

describe('the Privacy section', () => {
  it('the first audit heads the section with every GAN in the attack table', async () => {
    const html = await privacySection(ben, results, [ben, fed]);
    expect(html).toContain('<h2 id="privacy">Privacy</h2>');
    const shown = keyed(html);
    for (const model of ['ben-GAN', 'federated GAN']) {
      expect(shown.get(`privacy.${model}.membershipAuc`)).toBe('0.563'); // 3 significant digits
      expect(shown.get(`privacy.${model}.copiesFlagged`)).toBe('2');
      expect(shown.get(`privacy.${model}.authenticity`)).toBe('0.75');
      expect(shown.get(`privacy.${model}.tprAtFpr1pct`)).toBe('0.125');
    }
    expect(html).toContain('[0.31, 0.8]');
    expect(html).toContain('(unresolved: &lt; 1/FPR non-members)');
    expect(html).toContain('below the 1st percentile of real-to-real distances');
    expect((html.match(/<svg/g) ?? []).length).toBe(1); // members and non-members share their bins: one chart
    expect(html).toContain('src="data:image/png;base64,R0VO"');
    expect(html).toContain('0.04 <b>flagged</b> — ISIC_1');
    expect(html).not.toContain('tenant-0');
  });

  it('a later audit adds its own part, with a row per tenant for the federated GAN', async () => {
    const html = await privacySection(fed, results, null);
    expect(html).not.toContain('id="privacy"');
    expect(html).toContain('<h3 id="privacy-federated">federated GAN</h3>');
    expect(keyed(html).get('privacy.federated GAN.tenant-0.membershipAuc')).toBe('0.6');
    expect(html).toContain('<td>tenant-0</td><td>3</td>');
    expect(html).toContain('lpips-vgg16 1');
  });
});
