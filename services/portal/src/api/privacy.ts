/**
 * The privacy view: each privacy audit the projector left in the store — membership-inference AUC,
 * authenticity, the closest generated/real pairs with their images, the distance histograms.
 * Images are served only when an audit names them (no arbitrary store reads).
 */
import { PrivacyAudit } from '@dermagan/contracts';
import { z } from 'zod';
import type { AnalysisFinder } from '../analyses/find.ts';
import type { PortalDeps } from '../deps.ts';
import { HttpError } from '../http/errors.ts';
import { route } from '../http/route.ts';

const AUDITORS = ['operator', 'researcher'] as const;
const KeyQuery = z.object({ key: z.string().min(1).max(1000) });

export function privacyRoutes(deps: PortalDeps, finder: AnalysisFinder) {
  async function audit(key: string) {
    const a = await finder.audit(key);
    if (!a) throw new HttpError(404, 'not-found', `no privacy audit at ${key}`);
    return a;
  }
  return [
    route({
      method: 'get',
      path: '/api/privacy',
      tag: 'privacy',
      summary: 'The privacy audits in the store (empty until the audit has run)',
      access: AUDITORS,
      response: z.object({ audits: z.array(z.object({ key: z.string(), name: z.string(), space: z.string(), auc: z.number().nullable(), authenticity: z.number().nullable(), flagged: z.number() })) }),
      handle: async () => ({
        audits: (await finder.audits()).map(({ key, value }) => ({
          key, name: value.name, space: value.space, auc: value.membership?.auc ?? null, authenticity: value.authenticity, flagged: value.closestPairs.filter((p) => p.flagged).length,
        })),
      }),
    }),
    route({
      method: 'get',
      path: '/api/privacy/audit',
      tag: 'privacy',
      summary: 'One privacy audit in full',
      access: AUDITORS,
      query: KeyQuery,
      response: PrivacyAudit,
      handle: async ({ query }) => audit(query.key),
    }),
    route({
      method: 'get',
      path: '/api/privacy/pair.png',
      tag: 'privacy',
      summary: 'An image of one closest pair of an audit (side: generated or real)',
      access: AUDITORS,
      query: KeyQuery.extend({ pair: z.coerce.number().int().min(0), side: z.enum(['generated', 'real']) }),
      produces: 'image/png',
      handle: async ({ query, res }) => {
        const pair = (await audit(query.key)).closestPairs[query.pair];
        if (!pair) throw new HttpError(404, 'not-found', `the audit has no pair ${query.pair}`);
        const ref = pair[query.side];
        res.type(ref.contentType ?? 'image/png').set('Cache-Control', 'private, max-age=3600').send(await deps.store.getBytes(ref.bucket, ref.key));
      },
    }),
  ];
}
