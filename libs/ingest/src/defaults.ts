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
   * Images decoded at once. sharp runs each image on a libuv worker thread; on the 2-core
   * benchmark machine 2 in flight per core was fastest (scripts/bench/ingest.ts sweeps it).
   */
  concurrency: 2 * availableParallelism(),
};
