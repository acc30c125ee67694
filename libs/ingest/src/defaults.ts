import { availableParallelism } from 'node:os';

/** Every ingest default in one place. */
export const INGEST_DEFAULTS = {
  /** Output side in pixels (the study trains at 256²). */
  size: 256,
  /** Train fraction of the patient-grouped split (the study's 80/20). */
  split: 0.8 as number | null,
  /** Seed of the split and tenant partition. */
  seed: 0,
  /** Smallest accepted source side in pixels: below this a lesion image has too little detail to upscale. */
  minSide: 32,
  /** Images per shard file. */
  shardSize: 512,
  /**
   * Images decoded at once. sharp runs each image on a libuv worker thread (4 by default); on the
   * 2-core benchmark machine 4 and 8 in flight were within noise of each other and well ahead of
   * 1–2, and one libvips thread per image was as fast as two (scripts/bench/ingest.ts sweeps both).
   */
  concurrency: 2 * availableParallelism(),
};
