import type { Command } from 'commander';
import { registerIngest } from './ingest.ts';
import { registerMetrics } from './metrics.ts';
import { registerClassifier } from './classifier.ts';
import { registerTrain } from './train.ts';
import { registerGenerate } from './generate.ts';
import { registerBench } from './bench.ts';
import { registerStudy } from './study.ts';
import { registerPpl } from './ppl.ts';
import { registerFederate } from './federate.ts';
import { registerExplain } from './explain.ts';
import { registerLpips } from './lpips.ts';
import { registerPortal } from './portal.ts';
import { registerProject } from './project.ts';
import { registerAudit } from './audit.ts';
import { registerFederation } from './federation.ts';
import { registerTenant } from './tenant.ts';

/** Every subcommand's register function; each lives in its own file beside this one. */
export const commands: Array<(program: Command) => void> = [registerIngest, registerMetrics, registerClassifier, registerTrain, registerGenerate, registerBench, registerStudy, registerFederate, registerPpl, registerExplain, registerLpips, registerPortal, registerProject, registerAudit, registerFederation, registerTenant];
