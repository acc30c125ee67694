/**
 * The latent explorer: pick a generator (a training's latest checkpoint), move along its latent
 * directions and truncation, see the image. Images come from the Renderer (in process or the
 * generator service) through its cache.
 */
import { FolderRef } from '@dermagan/contracts';
import { z } from 'zod';
import type { AnalysisFinder } from '../analyses/find.ts';
import type { PortalDeps } from '../deps.ts';
import { generatorInfo, SLIDER_STEPS, slidersFor } from '../explorer/directions.ts';
import { HttpError } from '../http/errors.ts';
import { route } from '../http/route.ts';
import { RenderError } from '../render/renderer.ts';
import { getRun, listRuns } from '../runs/repository.ts';
import type { Principal } from '@dermagan/auth';

const EXPLORERS = ['operator', 'researcher'] as const;

async function checkpointOf(deps: PortalDeps, principal: Principal, runId: string): Promise<FolderRef> {
  const run = await getRun(deps.db, principal, runId);
  const parsed = FolderRef.safeParse(run?.summary.checkpoint);
  if (!run || !parsed.success) throw new HttpError(404, 'no-generator', `run ${runId} has no checkpoint to explore`);
  if (!(await deps.store.stat(parsed.data.manifest.bucket, parsed.data.manifest.key).catch(() => null))) {
    throw new HttpError(410, 'checkpoint-gone', `the checkpoint of ${run.name} is no longer in the store`);
  }
  return parsed.data;
}

export function explorerRoutes(deps: PortalDeps, finder: AnalysisFinder) {
  return [
    route({
      method: 'get',
      path: '/api/explorer/generators',
      tag: 'explorer',
      summary: 'Trainings with a checkpoint to explore',
      access: EXPLORERS,
      response: z.object({ generators: z.array(z.object({ runId: z.string(), name: z.string(), kimg: z.number().nullable(), status: z.string() })) }),
      handle: async ({ principal }) => {
        const { runs } = await listRuns(deps.db, principal!, { kind: 'training' });
        return {
          generators: runs
            .filter((r) => FolderRef.safeParse(r.summary.checkpoint).success)
            .map((r) => ({ runId: r.id, name: r.name, kimg: typeof r.summary.kimg === 'number' ? r.summary.kimg : null, status: r.status })),
        };
      },
    }),
    route({
      method: 'get',
      path: '/api/explorer/directions',
      tag: 'explorer',
      summary: "A generator's latent directions (the explainer's SeFa/GANSpace when present, else random) and its classes",
      access: EXPLORERS,
      query: z.object({ run: z.string().min(1).max(300) }),
      response: z.object({
        /** Sliders go from −steps to +steps (in units of each direction's scale). */
        steps: z.number(),
        directions: z.array(z.object({ index: z.number(), method: z.enum(['sefa', 'ganspace', 'hyperplane', 'random']), label: z.string() })),
        labels: z.array(z.string()),
        conditional: z.boolean(),
        resolution: z.number(),
      }),
      handle: async ({ principal, query }) => {
        const checkpoint = await checkpointOf(deps, principal!, query.run);
        const info = await generatorInfo(deps.store, checkpoint);
        const sliders = await slidersFor(finder, checkpoint, info.wDim);
        return { steps: SLIDER_STEPS, directions: sliders.map(({ index, method, label }) => ({ index, method, label })), labels: info.labels, conditional: info.cDim > 0, resolution: info.resolution };
      },
    }),
    route({
      method: 'get',
      path: '/api/explorer/image.png',
      tag: 'explorer',
      summary: 'One image of a generator at a seed, truncation ψ, class, and steps along its directions (a = comma-separated steps in units of each direction\'s scale, direction 0 first)',
      access: EXPLORERS,
      query: z.object({
        run: z.string().min(1).max(300),
        seed: z.coerce.number().int().min(0).max(2 ** 31 - 1).default(0),
        psi: z.coerce.number().min(0).max(2).default(1),
        class: z.coerce.number().int().min(0).max(1000).optional(),
        a: z.string().max(2000).regex(/^(-?\d+(\.\d+)?)?(,-?\d+(\.\d+)?)*$/, 'comma-separated numbers').default(''),
        scale: z.coerce.number().int().min(1).max(16).default(4),
      }),
      produces: 'image/png',
      handle: async ({ principal, query, res }) => {
        const checkpoint = await checkpointOf(deps, principal!, query.run);
        const info = await generatorInfo(deps.store, checkpoint);
        const sliders = await slidersFor(finder, checkpoint, info.wDim);
        const steps = query.a === '' ? [] : query.a.split(',').map(Number);
        if (steps.length > sliders.length) throw new HttpError(400, 'invalid-request', `this generator has ${sliders.length} directions; got ${steps.length} amounts`);
        const edits = steps.flatMap((step, i) => {
          const s = sliders[i]!;
          const clamped = Math.max(-SLIDER_STEPS, Math.min(SLIDER_STEPS, step));
          return clamped === 0 ? [] : [{ direction: s.vector, amount: clamped * s.scale, ...(s.layers ? { layers: s.layers } : {}) }];
        });
        try {
          const png = await deps.renderer.render({ checkpoint, seeds: [query.seed], truncation: query.psi, classIndex: query.class ?? null, edits, columns: 1, scale: Math.max(1, Math.min(query.scale, Math.floor(512 / info.resolution) || 1)) });
          res.type('image/png').set('Cache-Control', 'private, max-age=3600').send(png);
        } catch (err) {
          if (err instanceof RenderError) throw new HttpError(err.retriable ? 503 : 422, 'cannot-render', err.message);
          throw err;
        }
      },
    }),
  ];
}
