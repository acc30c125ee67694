/**
 * The study's wait on its federated GAN (federated.ts) ends cleanly when the study is stopped at any
 * moment, also while its request is still being published (a Ctrl-C just as the federation starts
 * once crashed the process with an unhandled rejection instead of stopping it at its checkpoints).
 */
import { MemoryBus } from '@dermagan/bus';
import { generateTenantKeyPair } from '@dermagan/federation';
import { describe, expect, it } from 'vitest';
import { runFederation } from './federated.ts';

const operator = generateTenantKeyPair();
const tenant = generateTenantKeyPair();
const spec = {
  federation: 'fed-stop',
  tenants: [{ tenant: 'hospital-a', publicKey: tenant.publicKeyPem }],
  rounds: 2, k: 3, strategy: { name: 'fedavg' },
  training: { res: 16, cfg: 'test' as const, aug: 'noaug' as const, seed: 0 },
  output: { bucket: 'agg', prefix: 'federations/fed-stop/out/' },
};

describe('runFederation stopped by the study', () => {
  it('while its request is being published: rejects with "stopped waiting", nothing unhandled', async () => {
    const bus = new MemoryBus();
    await bus.start();
    try {
      const stop = new AbortController();
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        // The broker is slow to take the request; the user presses Ctrl-C meanwhile.
        const publish = async () => {
          stop.abort();
          await new Promise((r) => setTimeout(r, 50));
        };
        await expect(runFederation({ bus, spec, operatorKey: operator.privateKeyPem, timeoutMs: 60_000, signal: stop.signal, publish })).rejects.toThrow(
          'federation fed-stop: the study stopped waiting',
        );
        await new Promise((r) => setTimeout(r, 20));
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
      expect(unhandled).toEqual([]);
    } finally {
      await bus.close();
    }
  });
});
