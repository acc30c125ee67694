/**
 * Reading the Ed25519 key files `tenant init` and `federation init` write, with the fix in the
 * error when a file is missing or is not the kind of key the flag wants.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { UserError } from './output.ts';

/** A PKCS#8 PEM Ed25519 private key from `file` (named by `flag` in errors). */
export async function readPrivateKeyFile(file: string, flag: string): Promise<string> {
  const pem = await readKeyFile(file, flag);
  try {
    if (createPrivateKey(pem).asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key');
  } catch (err) {
    throw new UserError(`${flag} ${file}: not an Ed25519 private key in PEM (${(err as Error).message}); make one with \`dermagan federation init\` or \`dermagan tenant init\``);
  }
  return pem;
}

/** An SPKI PEM Ed25519 public key from `file` (named by `flag` in errors). */
export async function readPublicKeyFile(file: string, flag: string): Promise<string> {
  const pem = await readKeyFile(file, flag);
  try {
    if (createPublicKey(pem).asymmetricKeyType !== 'ed25519' || pem.includes('PRIVATE KEY')) throw new Error('not an Ed25519 public key');
  } catch (err) {
    throw new UserError(`${flag} ${file}: not an Ed25519 public key in PEM (${(err as Error).message})`);
  }
  return pem;
}

async function readKeyFile(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new UserError(`${flag} ${file}: cannot be read (${(err as Error).message})`);
  }
}
