/**
 * A hospital joining as the README walks it through: `tenant init` makes keys that the federation's
 * code and OpenSSL both accept, files with the right modes and a Secret manifest for the chart;
 * the operator registers it (`federation tenants add|list|remove`) and `federation start` builds a
 * request from the registry that verifies against operator.pub.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TenantRegistration } from '@dermagan/contracts';
import { federationRequestRefusal, signUpdate, verifyUpdate } from '@dermagan/federation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dermagan } from '../testing.ts';
import { startRequest } from './federation.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dermagan-tenant-cli-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' });

describe('dermagan tenant init', () => {
  it('writes a key pair OpenSSL and the federation code accept, tenant.json, and the chart Secret; the private key 0600', { timeout: 120_000 }, async () => {
    const out = join(root, 'hospital-a');
    const r = await dermagan('tenant', 'init', '--id', 'hospital-a', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect((await stat(join(out, 'signing-key.pem'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(out, 'signing-key-secret.yaml'))).mode & 0o777).toBe(0o600);
    const privatePem = await readFile(join(out, 'signing-key.pem'), 'utf8');
    const registration = TenantRegistration.parse(JSON.parse(await readFile(join(out, 'tenant.json'), 'utf8')));
    expect(registration.tenant).toBe('hospital-a');

    // OpenSSL reads the private key as Ed25519 and derives the public key tenant.json carries.
    expect(openssl('pkey', '-in', join(out, 'signing-key.pem'), '-noout', '-text')).toMatch(/ED25519 Private-Key/);
    expect(openssl('pkey', '-in', join(out, 'signing-key.pem'), '-pubout').trim()).toBe(registration.publicKey.trim());

    // An update signed with the federation's code verifies with tenant.json's key, and with OpenSSL.
    const fields = { federation: 'fed-1', round: 1, attempt: 0, tenant: 'hospital-a', weightsSha256: 'ab'.repeat(32), samples: 10 };
    const signature = signUpdate(privatePem, fields);
    expect(verifyUpdate(registration.publicKey, fields, signature)).toBe(true);
    const { signingPayload } = await import('@dermagan/federation');
    await writeFile(join(root, 'payload'), signingPayload(fields));
    await writeFile(join(root, 'sig'), Buffer.from(signature, 'base64'));
    expect(openssl('pkeyutl', '-verify', '-pubin', '-inkey', join(out, 'signing-key.pub'), '-rawin', '-in', join(root, 'payload'), '-sigfile', join(root, 'sig'))).toMatch(/Signature Verified Successfully/);
    // And one OpenSSL makes with the key verifies with the federation's code.
    const opensslSig = execFileSync('openssl', ['pkeyutl', '-sign', '-inkey', join(out, 'signing-key.pem'), '-rawin', '-in', join(root, 'payload')]);
    expect(verifyUpdate(registration.publicKey, fields, opensslSig.toString('base64'))).toBe(true);

    // The Secret the chart's tenant.signingKeySecret names holds the same key under ed25519.pem.
    const secret = parse(await readFile(join(out, 'signing-key-secret.yaml'), 'utf8')) as { kind: string; metadata: { name: string }; stringData: Record<string, string> };
    expect(secret.kind).toBe('Secret');
    expect(secret.stringData['ed25519.pem']!.trim()).toBe(privatePem.trim());
    const values = parse(await readFile(join(out, 'site-values.yaml'), 'utf8')) as { tenant: { id: string; signingKeySecret: string } };
    expect(values.tenant).toMatchObject({ id: 'hospital-a', signingKeySecret: secret.metadata.name });
  });

  it('never overwrites an existing key (exit 2, nothing written) and refuses a bad id', { timeout: 120_000 }, async () => {
    const out = join(root, 'hospital-b');
    expect((await dermagan('tenant', 'init', '--id', 'hospital-b', '--out', out)).code).toBe(0);
    const before = await readFile(join(out, 'signing-key.pem'), 'utf8');
    const again = await dermagan('tenant', 'init', '--id', 'hospital-b', '--out', out);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists; nothing was written/);
    expect(await readFile(join(out, 'signing-key.pem'), 'utf8')).toBe(before);
    const bad = await dermagan('tenant', 'init', '--id', 'hospital a/../x', '--out', join(root, 'bad'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--id/);
  });
});

describe('dermagan federation init / tenants / start', () => {
  // The CLI is started as a user starts it (one process per command): a few seconds each on 2 cores.
  it('registers hospitals from their tenant.json and starts a federation whose request verifies against operator.pub', { timeout: 300_000 }, async () => {
    const store = join(root, 'operator-store');
    const op = join(root, 'operator');
    expect((await dermagan('federation', 'init', '--out', op)).code).toBe(0);
    expect((await stat(join(op, 'operator.key'))).mode & 0o777).toBe(0o600);
    // The hospitals the tests above initialised.
    for (const [id, samples] of [['hospital-a', '120'], ['hospital-b', '80']] as const) {
      const add = await dermagan('federation', 'tenants', 'add', '--from', join(root, id, 'tenant.json'), '--bucket', id, '--samples', samples, '--store', store);
      expect(add.code, add.stderr).toBe(0);
    }
    const dup = await dermagan('federation', 'tenants', 'add', '--from', join(root, 'hospital-a', 'tenant.json'), '--bucket', 'other', '--samples', '5', '--store', store);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/already registered/);
    const list = await dermagan('federation', 'tenants', 'list', '--json', '--store', store);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ tenant: 'hospital-a', bucket: 'hospital-a', samples: 120 }),
      expect.objectContaining({ tenant: 'hospital-b', bucket: 'hospital-b', samples: 80 }),
    ]);

    const event = await startRequest({ store, operatorBucket: 'fl-aggregator', id: 'fed-x', operatorKey: join(op, 'operator.key'), rounds: 2, k: 3, strategy: 'fedavg', roundTimeout: 60, res: 16, cfg: 'test' });
    const registrationA = JSON.parse(await readFile(join(root, 'hospital-a', 'tenant.json'), 'utf8')) as { publicKey: string };
    expect(event.data.tenants).toEqual([
      { tenant: 'hospital-a', publicKey: registrationA.publicKey, samples: 120 },
      expect.objectContaining({ tenant: 'hospital-b', samples: 80 }),
    ]);
    expect(event.data.quorum).toBe(2);
    expect(federationRequestRefusal(await readFile(join(op, 'operator.pub'), 'utf8'), event)).toBeNull();

    expect((await dermagan('federation', 'tenants', 'remove', 'hospital-b', '--store', store)).code).toBe(0);
    await expect(startRequest({ store, operatorBucket: 'fl-aggregator', id: 'fed-y', operatorKey: join(op, 'operator.key'), rounds: 1, k: 1, strategy: 'fedavg', roundTimeout: 60, tenants: 'hospital-b' })).rejects.toThrow(/hospital-b is not registered/);
  });
});
