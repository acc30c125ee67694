import { describe, expect, it } from 'vitest';
import type { DatasetManifest, ImageEntry } from './manifest.ts';
import { selectImages, tenantImages } from './reader.ts';

const entry = (id: string, tenant: string | null): ImageEntry =>
  ({ id, patient: id, label: 0, split: 'train', tenant, shard: 0, index: 0, sha256: '0'.repeat(64) }) as unknown as ImageEntry;

/** Only the fields tenantImages and selectImages read. */
const manifest = (tenants: DatasetManifest['tenants'], images: ImageEntry[]) => ({ tenants, images }) as unknown as DatasetManifest;

describe('tenantImages', () => {
  it("a hospital's own dataset (not partitioned) is all of it, whatever the tenant id", () => {
    const own = manifest(null, [entry('a', null), entry('b', null)]);
    expect(tenantImages(own, 'hospital-a')).toEqual({});
    expect(selectImages(own, tenantImages(own, 'hospital-a')).map((e) => e.id)).toEqual(['a', 'b']);
  });

  it("a dataset partitioned into tenants gives each tenant its own rows, and none to a tenant it does not list", () => {
    const split = manifest([{ name: 'tenant-0', requested: null }, { name: 'tenant-1', requested: null }], [entry('a', 'tenant-0'), entry('b', 'tenant-1'), entry('c', 'tenant-0')]);
    expect(selectImages(split, tenantImages(split, 'tenant-0')).map((e) => e.id)).toEqual(['a', 'c']);
    expect(selectImages(split, tenantImages(split, 'hospital-a'))).toEqual([]);
  });
});
