/** The shipped demo subset at 16², ingested and published to a local store in a temp folder (trainer tests). */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FolderRef } from '@dermagan/contracts';
import { ingest } from '@dermagan/ingest';
import { publishFolder } from '@dermagan/runtime';
import { LocalStore } from '@dermagan/store';

const DEMO = fileURLToPath(new URL('../../../../data/demo/metadata.csv', import.meta.url));

export async function demoDataset16(name: string, bucket: string): Promise<{ root: string; store: LocalStore; dataset: FolderRef }> {
  const root = await mkdtemp(join(tmpdir(), `dermagan-trainer-${name}-`));
  const store = new LocalStore({ root: join(root, 'store') });
  await ingest({ data: DEMO, out: join(root, 'demo16'), size: 16, split: null, tenants: null });
  const dataset = await publishFolder(store, join(root, 'demo16'), { bucket, prefix: 'datasets/demo16/' }, 'manifest.json');
  return { root, store, dataset };
}
