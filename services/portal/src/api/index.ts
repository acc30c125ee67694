/** The whole API: one table (registration, /openapi.json and the access test all read it). */
import type { AnalysisFinder } from '../analyses/find.ts';
import type { PortalDeps } from '../deps.ts';
import type { ApiRoute } from '../http/route.ts';
import { accountRoutes } from './accounts.ts';
import { datasetRoutes } from './datasets.ts';
import { expertRoutes } from './expert.ts';
import { explorerRoutes } from './explorer.ts';
import { privacyRoutes } from './privacy.ts';
import { runRoutes } from './runs.ts';
import { sessionRoutes } from './session.ts';
import { surveyRoutes } from './surveys.ts';

export function apiRoutes(deps: PortalDeps, finder: AnalysisFinder): ApiRoute[] {
  return [
    ...sessionRoutes(deps),
    ...accountRoutes(deps),
    ...runRoutes(deps, finder),
    ...surveyRoutes(deps),
    ...datasetRoutes(deps),
    ...expertRoutes(deps),
    ...explorerRoutes(deps, finder),
    ...privacyRoutes(deps, finder),
  ];
}
