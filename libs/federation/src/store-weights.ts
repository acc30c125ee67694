/**
 * Weight files in the object store as the federation library's sources and sinks: reads stream and
 * verify the signed sha256; a missing or corrupted object reads as a corrupt weight file (the
 * update is rejected 'corrupt'), never as a crash of the aggregator.
 */
import { PassThrough } from 'node:stream';
import type { ArtifactRef } from '@dermagan/contracts';
import { chunkSource, writableSink, type TensorSink, type WeightSource } from './weight-file.ts';
import { WeightsError, type WeightHeader } from './weights.ts';
import { IntegrityError, NotFoundError, type ObjectStore } from '@dermagan/store';

/** Stream a weight file from the store, checked against `ref.sha256`. */
export function storeSource(store: ObjectStore, ref: ArtifactRef): WeightSource {
  const describe = `${store.url}/${ref.bucket}/${ref.key}`;
  return chunkSource(
    describe,
    async () => {
      let body: AsyncIterable<Uint8Array>;
      try {
        body = await store.get(ref.bucket, ref.key);
      } catch (err) {
        if (err instanceof NotFoundError) throw new WeightsError(`${describe}: no such object`, { cause: err });
        throw err;
      }
      return (async function* () {
        try {
          for await (const chunk of body) yield chunk as Uint8Array;
        } catch (err) {
          if (err instanceof IntegrityError) throw new WeightsError(`${describe}: ${err.message}`, { cause: err });
          throw err;
        }
      })();
    },
    ref.sha256,
  );
}

/** A sink whose bytes stream into `store.put(bucket, key)`; `ref()` resolves once the put has finished. */
export function storeSink(store: ObjectStore, bucket: string, key: string, header: WeightHeader): TensorSink & { ref(): Promise<ArtifactRef> } {
  const pass = new PassThrough({ highWaterMark: 1 << 20 });
  const put = store.put(bucket, key, pass);
  put.catch(() => pass.destroy());
  const sink = writableSink(header, pass, `${bucket}/${key}`);
  return {
    write: (t) => sink.write(t),
    writeSlice: (s) => sink.writeSlice(s),
    close: () => sink.close(),
    abort: () => sink.abort(),
    ref: () => put,
  };
}
