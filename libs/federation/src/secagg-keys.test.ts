import { createPublicKey, diffieHellman } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { secaggPrivateKey, secaggPublicKey } from './secagg-keys.ts';
import { generateTenantKeyPair } from './signing.ts';

describe('secure-aggregation keys derived from the Ed25519 signing keys', () => {
  it('the public key a peer derives from the Ed25519 public key is the one of the derived private key', () => {
    for (let i = 0; i < 20; i++) {
      const pair = generateTenantKeyPair();
      const fromPrivate = createPublicKey(secaggPrivateKey(pair.privateKeyPem)).export({ type: 'spki', format: 'pem' }).toString();
      expect(secaggPublicKey(pair.publicKeyPem)).toBe(fromPrivate);
    }
  });

  it('two tenants reach the same X25519 secret from their own signing key and the other’s Ed25519 public key', () => {
    const a = generateTenantKeyPair();
    const b = generateTenantKeyPair();
    const c = generateTenantKeyPair();
    const ab = diffieHellman({ privateKey: secaggPrivateKey(a.privateKeyPem), publicKey: createPublicKey(secaggPublicKey(b.publicKeyPem)) });
    const ba = diffieHellman({ privateKey: secaggPrivateKey(b.privateKeyPem), publicKey: createPublicKey(secaggPublicKey(a.publicKeyPem)) });
    const ac = diffieHellman({ privateKey: secaggPrivateKey(a.privateKeyPem), publicKey: createPublicKey(secaggPublicKey(c.publicKeyPem)) });
    expect(ab.equals(ba)).toBe(true);
    expect(ab.equals(ac)).toBe(false);
    expect(ab.length).toBe(32);
  });

  it('maps the RFC 8032 test 1 public key to the u computed independently (Python integers, RFC 7748 §4.1)', () => {
    // RFC 8032 §7.1 TEST 1 public key; u = (1 + y)/(1 − y) mod p computed with Python's integers.
    const edPublic = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex').toString('base64url') }, format: 'jwk' });
    const x = createPublicKey(secaggPublicKey(edPublic)).export({ format: 'jwk' }).x!;
    expect(Buffer.from(x, 'base64url').toString('hex')).toBe(EXPECTED_U);
  });

  it('refuses a key of another kind with a message naming it', () => {
    expect(() => secaggPublicKey(secaggPublicKey(generateTenantKeyPair().publicKeyPem))).toThrow(/expected an Ed25519 key, got OKP\/X25519/);
  });
});

const EXPECTED_U = 'd85e07ec22b0ad881537c2f44d662d1a143cf830c57aca4305d85c7a90f6b62e';
