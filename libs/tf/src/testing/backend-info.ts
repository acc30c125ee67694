/** Prints loadTf()'s BackendInfo as one JSON line (for the fallback test). */
import { loadTf } from '../backend.ts';

const { info } = await loadTf();
process.stdout.write(JSON.stringify(info) + '\n');
