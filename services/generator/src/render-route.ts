/**
 * The generator's HTTP API: `POST /render` with a RenderRequest (libs/contracts) → image/png.
 * The portal's latent explorer and snapshot grids call it in a cluster; embedded, the portal runs
 * the same CheckpointRenderer in its own process.
 */
import express, { type Express } from 'express';
import { RenderRequest } from '@dermagan/contracts';
import type { CheckpointRenderer } from '@dermagan/gan';
import { z } from 'zod';

export const RENDER_PATH = '/render';

export function mountRender(app: Express, renderer: () => Promise<CheckpointRenderer>, onError: (err: unknown) => void = () => {}): void {
  app.post(RENDER_PATH, express.json({ limit: '2mb' }), async (req, res) => {
    const parsed = RenderRequest.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: 'invalid-request', detail: z.prettifyError(parsed.error) });
      return;
    }
    try {
      const png = await (await renderer()).render(parsed.data);
      res.type('image/png').set('Cache-Control', 'no-store').send(png);
    } catch (err) {
      const retriable = (err as { retriable?: boolean }).retriable !== false;
      if (retriable) onError(err);
      res.status(retriable ? 503 : 422).json({ error: retriable ? 'unavailable' : 'cannot-render', detail: (err as Error).message });
    }
  });
}
