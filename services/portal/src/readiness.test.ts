/** The portal's /readyz includes its database: a portal that cannot reach it takes no traffic. */
import { describe, expect, it } from 'vitest';
import { startTestPortal } from './testing/harness.ts';

describe('portal readiness', () => {
  it('/readyz is 200 with the database up and 503 naming the database once it is gone', async () => {
    const t = await startTestPortal();
    try {
      const up = await fetch(`${t.url}/readyz`);
      expect(up.status).toBe(200);
      expect(await up.json()).toEqual({ ready: true, checks: { bus: true, store: true, database: true } });

      await t.portal.deps.db.close();
      const down = await fetch(`${t.url}/readyz`);
      expect(down.status).toBe(503);
      expect(await down.json()).toEqual({ ready: false, checks: { bus: true, store: true, database: false } });
    } finally {
      await t.close();
    }
  });
});
