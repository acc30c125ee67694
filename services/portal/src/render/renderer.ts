/**
 * Where the portal's images come from (the latent explorer, snapshot grids): one small interface,
 * two implementations — libs/gan in this process (the embedded default) or the generator
 * service's `POST /render` (a cluster: the GPU pods render, the portal stays small) — and a cache
 * in front of either, since sliding back and forth asks for the same images again.
 */
import { createHash } from 'node:crypto';
import { RenderRequest, type FolderRef, type RenderRequestInput } from '@dermagan/contracts';
import type { CheckpointRenderer } from '@dermagan/gan';

export interface Renderer {
  /** The request's images as one PNG. Throws RenderError (retriable or not). */
  render(request: RenderRequestInput): Promise<Buffer>;
}

export class RenderError extends Error {
  override readonly name = 'RenderError';
  constructor(
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** libs/gan in this process; TensorFlow is loaded on the first render, not at start. */
export class InProcessRenderer implements Renderer {
  private renderer: Promise<CheckpointRenderer> | undefined;

  constructor(private readonly fetchCheckpoint: (ref: FolderRef) => Promise<string>) {}

  async render(request: RenderRequestInput): Promise<Buffer> {
    this.renderer ??= (async () => {
      const [{ loadTf }, { CheckpointRenderer }] = await Promise.all([import('@dermagan/tf'), import('@dermagan/gan')]);
      const { tf } = await loadTf();
      return new CheckpointRenderer({ tf, fetchCheckpoint: this.fetchCheckpoint });
    })();
    const renderer = await this.renderer;
    try {
      return await renderer.render(RenderRequest.parse(request));
    } catch (err) {
      throw new RenderError((err as Error).message, (err as { retriable?: boolean }).retriable !== false, { cause: err });
    }
  }

  async dispose(): Promise<void> {
    if (this.renderer) (await this.renderer).dispose();
  }
}

/** The generator service's HTTP API (services/generator render-route.ts). */
export class HttpRenderer implements Renderer {
  constructor(
    /** e.g. `http://generator:8080`. */
    private readonly baseUrl: string,
    private readonly timeoutMs = 60_000,
  ) {}

  async render(request: RenderRequestInput): Promise<Buffer> {
    let res: Response;
    try {
      res = await fetch(new URL('/render', this.baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(RenderRequest.parse(request)),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new RenderError(`the generator service at ${this.baseUrl} did not answer: ${(err as Error).message}`, true, { cause: err });
    }
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { detail?: string };
      throw new RenderError(`the generator service refused to render (${res.status}): ${body.detail ?? res.statusText}`, res.status >= 500);
    }
    return Buffer.from(await res.arrayBuffer());
  }
}

/** Keeps the most recently rendered images, up to `maxBytes`. */
export class CachedRenderer implements Renderer {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly inner: Renderer,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  async render(request: RenderRequestInput): Promise<Buffer> {
    const key = createHash('sha256').update(JSON.stringify(RenderRequest.parse(request))).digest('hex');
    const hit = this.entries.get(key);
    if (hit) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    this.misses++;
    const png = await this.inner.render(request);
    this.entries.set(key, png);
    this.bytes += png.length;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.length;
    }
    return png;
  }
}
