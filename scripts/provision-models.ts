/**
 * `npm run setup` step: provision every pretrained model of the catalogue into the dermagan cache
 * (libs/pretrained/src/provision.ts). Usage: node --import tsx scripts/provision-models.ts [id …]
 */
import { isPretrainedId, PRETRAINED_IDS, PretrainedError, provisionModel } from '@dermagan/pretrained';

const ids = process.argv.slice(2);
for (const id of ids) {
  if (!isPretrainedId(id)) {
    process.stderr.write(`[models] unknown model "${id}"; known: ${PRETRAINED_IDS.join(', ')}\n`);
    process.exit(2);
  }
}
let failed = false;
for (const id of ids.length > 0 ? ids.filter(isPretrainedId) : PRETRAINED_IDS) {
  try {
    const r = await provisionModel(id, { log: (line) => process.stderr.write(`[models] ${line}\n`) });
    process.stderr.write(`[models] ${id}: ${r.action === 'present' ? 'present' : 'converted'} (${r.dir}, sha256 ${r.sha256.slice(0, 16)}…)\n`);
  } catch (err) {
    failed = true;
    const message = err instanceof PretrainedError ? err.message : ((err as Error).stack ?? String(err));
    process.stderr.write(`[models] ${id}: FAILED: ${message}\n`);
  }
}
process.exit(failed ? 1 : 0);
