/**
 * The PKI of a throw-away test cluster, made with openssl (P-256 keys, valid two days): a CA, the
 * kube-apiserver's serving certificate (for 127.0.0.1 and the in-cluster names), an admin client
 * certificate in `system:masters`, and the key pair that signs service-account tokens.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ClusterPki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (err) {
    throw new Error(`openssl ${args[0]} failed (is openssl installed?): ${(err as { stderr?: string }).stderr ?? (err as Error).message}`);
  }
}

async function signed(dir: string, name: string, subject: string, extensions: string[], ca: { cert: string; key: string }): Promise<[string, string]> {
  const [cert, key, ext] = [join(dir, `${name}.crt`), join(dir, `${name}.key`), join(dir, `${name}.ext`)];
  await writeFile(ext, extensions.join('\n') + '\n');
  await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-subj', subject, '-out', join(dir, `${name}.csr`)]);
  await openssl(['x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', cert]);
  return [cert, key];
}

export async function makeClusterPki(dir: string): Promise<ClusterPki> {
  const [caCert, caKey] = [join(dir, 'ca.crt'), join(dir, 'ca.key')];
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', caKey, '-subj', '/CN=dermagan-test-ca', '-days', '2', '-out', caCert]);
  const ca = { cert: caCert, key: caKey };
  const [[serverCert, serverKey], [adminCert, adminKey]] = await Promise.all([
    signed(dir, 'apiserver', '/CN=kube-apiserver', [
      'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local',
      'extendedKeyUsage=serverAuth',
      'keyUsage=digitalSignature,keyEncipherment',
    ], ca),
    signed(dir, 'admin', '/O=system:masters/CN=dermagan-test-admin', ['extendedKeyUsage=clientAuth', 'keyUsage=digitalSignature,keyEncipherment'], ca),
  ]);
  const [serviceAccountKey, serviceAccountPub] = [join(dir, 'sa.key'), join(dir, 'sa.pub')];
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', serviceAccountKey]);
  await openssl(['ec', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPub]);
  return { caCert, caKey, serverCert, serverKey, adminCert, adminKey, serviceAccountKey, serviceAccountPub };
}
