/** Datasets the portal saw announced on the bus (the survey's sources). */
import { z } from 'zod';
import type { PortalDeps } from '../deps.ts';
import { route } from '../http/route.ts';
import { listDatasets } from '../runs/repository.ts';

export function datasetRoutes(deps: PortalDeps) {
  return [
    route({
      method: 'get',
      path: '/api/datasets',
      tag: 'survey',
      summary: 'Real (ingested) and synthetic (generated) datasets announced on the bus',
      access: ['operator', 'researcher'],
      response: z.object({ datasets: z.array(z.object({ bucket: z.string(), prefix: z.string(), name: z.string(), kind: z.enum(['real', 'synthetic']), count: z.number() })) }),
      handle: async () => ({ datasets: (await listDatasets(deps.db)).map(({ bucket, prefix, name, kind, count }) => ({ bucket, prefix, name, kind, count })) }),
    }),
  ];
}
