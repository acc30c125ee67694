import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { federationRequest } from './request.ts';
import { federationRequestRefusal, signFederationRequest } from './request-signing.ts';
import { generateTenantKeyPair } from './signing.ts';

const operator = generateTenantKeyPair();
const mallory = generateTenantKeyPair();
const tenant = generateTenantKeyPair();
const spec = {
  federation: 'fed-1',
  tenants: [{ tenant: 'hospital-a', publicKey: tenant.publicKeyPem, samples: 120 }],
  rounds: 2, k: 3, strategy: { name: 'fedavg' }, quorum: 1, roundTimeoutMs: 60_000,
  training: { res: 16, cfg: 'test' as const, aug: 'noaug' as const, seed: 0 },
  output: { bucket: 'agg', prefix: 'federations/fed-1/out/' },
};

describe('operator signatures on federation.requested', () => {
  const event = federationRequest(spec, operator.privateKeyPem);

  it('a request the operator signed verifies, also after a trip through JSON (a transport)', () => {
    expect(federationRequestRefusal(operator.publicKeyPem, event)).toBeNull();
    const copy = JSON.parse(JSON.stringify(event)) as typeof event;
    expect(federationRequestRefusal(operator.publicKeyPem, copy)).toBeNull();
  });

  it.each<[string, () => typeof event, RegExp]>([
    ['unsigned', () => ({ ...event, data: { ...event.data, signature: undefined } }), /not signed by the operator/],
    ['signed by another key', () => ({ ...event, data: { ...event.data, signature: signFederationRequest(mallory.privateKeyPem, 'fed-1', event.data) } }), /does not verify/],
    ['a tenant key swapped in', () => ({ ...event, data: { ...event.data, tenants: [{ ...event.data.tenants[0]!, publicKey: mallory.publicKeyPem }] } }), /does not verify/],
    ['a sample count inflated', () => ({ ...event, data: { ...event.data, tenants: [{ ...event.data.tenants[0]!, samples: 2e9 }] } }), /does not verify/],
    ['a dataset pointed elsewhere', () => ({ ...event, data: { ...event.data, tenants: [{ ...event.data.tenants[0]!, dataset: { bucket: 'x', prefix: 'y/', manifest: { bucket: 'x', key: 'y/manifest.json', sha256: '0'.repeat(64), size: 1 } } }] } }), /does not verify/],
    ['replayed under another federation id', () => ({ ...event, runid: 'fed-2' }), /does not verify/],
    ['garbage signature', () => ({ ...event, data: { ...event.data, signature: '!!' } }), /does not verify/],
    ['no federation id', () => ({ ...event, runid: undefined }), /carries no runid/],
  ])('refused: %s', (_what, make, reason) => {
    expect(federationRequestRefusal(operator.publicKeyPem, make())).toMatch(reason);
  });

  it('a malformed operator key refuses, never throws', () => {
    expect(federationRequestRefusal('not a key', event)).toMatch(/does not verify/);
  });

  it('OpenSSL verifies the same signature over the same bytes (a standard Ed25519 signature)', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { requestSigningPayload } = await import('./request-signing.ts');
    const dir = await mkdtemp(join(tmpdir(), 'dermagan-req-sig-'));
    await writeFile(join(dir, 'pub.pem'), operator.publicKeyPem);
    await writeFile(join(dir, 'payload'), requestSigningPayload('fed-1', event.data));
    await writeFile(join(dir, 'sig'), Buffer.from(event.data.signature!, 'base64'));
    const out = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(dir, 'pub.pem'), '-rawin', '-in', join(dir, 'payload'), '-sigfile', join(dir, 'sig')]).toString();
    expect(out).toMatch(/Signature Verified Successfully/);
  });
});
