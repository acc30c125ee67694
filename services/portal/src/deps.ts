/** Everything the portal's routes and pages may touch, built once by main.ts (or a test). */
import type { SessionPolicy, SignInThrottle } from '@dermagan/auth';
import type { Database } from '@dermagan/db';
import type { FolderCache } from '@dermagan/runtime';
import type { ObjectStore } from '@dermagan/store';
import type { Logger } from 'pino';
import type { AnalysisFinder } from './analyses/find.ts';
import type { Renderer } from './render/renderer.ts';
import type { LiveHub } from './runs/live.ts';

export interface PortalDeps {
  db: Database;
  store: ObjectStore;
  /** The bucket the portal writes to (grids, survey images). */
  bucket: string;
  /** Local copies of datasets and checkpoints. */
  folders: FolderCache;
  renderer: Renderer;
  /** Other services' results in the store (latent directions, privacy audits, study reports). */
  finder: AnalysisFinder;
  live: LiveHub;
  logger: Logger;
  sessions: SessionPolicy;
  /** Failed sign-ins per username, and per client address (a hospital's NAT: a higher bar). */
  throttle: { user: SignInThrottle; address: SignInThrottle };
  secureCookies: boolean;
  invitationTtlS: number;
  surveyDisplaySize: number;
}
