/**
 * What `dermagan tenant init` hands a hospital: its Ed25519 key pair, its registration for the
 * operator (tenant.json), the Kubernetes Secret manifest holding the private key for the chart's
 * `tenant.signingKeySecret`, and the site's chart values that name them. Plain text in, plain text
 * out; the CLI writes the files (the private key and the Secret with mode 0600).
 */
import { TenantId, type TenantRegistration } from '@dermagan/contracts';
import { generateTenantKeyPair, type TenantKeyPair } from './signing.ts';

/** The files of a tenant kit, by file name. */
export interface TenantKit {
  keys: TenantKeyPair;
  registration: TenantRegistration;
  /** The Secret's name (the chart's `tenant.signingKeySecret`). */
  secretName: string;
  files: {
    /** The private key, PKCS#8 PEM (OpenSSL reads it). Keep it on the site; mode 0600. */
    'signing-key.pem': string;
    /** The public key, SPKI PEM. */
    'signing-key.pub': string;
    /** Send this to the federation operator. */
    'tenant.json': string;
    /** `kubectl apply -f` it in the site's namespace; mode 0600 (it holds the private key). */
    'signing-key-secret.yaml': string;
    /** The site's chart values (`helm install -f site-values.yaml`), to complete with bucket and credentials. */
    'site-values.yaml': string;
  };
}

/** The files that stay secret (written with mode 0600). */
export const SECRET_KIT_FILES = ['signing-key.pem', 'signing-key-secret.yaml'] as const;

/** A fresh kit for hospital `tenant` (keys: a given pair instead of a fresh one). */
export function tenantKit(tenant: string, keys: TenantKeyPair = generateTenantKeyPair()): TenantKit {
  TenantId.parse(tenant);
  const secretName = `${tenant.toLowerCase().replace(/[^a-z0-9-]/g, '-')}-signing`;
  const registration: TenantRegistration = { format: 'dermagan-tenant/v1', tenant, publicKey: keys.publicKeyPem };
  const indented = (pem: string) => pem.trim().split('\n').map((l) => `    ${l}`).join('\n');
  const secret = [
    '# The hospital’s Ed25519 signing key for the dermagan tenant agent (chart value tenant.signingKeySecret).',
    '# Apply it in the site’s namespace: kubectl apply -n <namespace> -f signing-key-secret.yaml',
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    `  name: ${secretName}`,
    `  labels: { app.kubernetes.io/part-of: dermagan, dermagan.org/tenant: ${JSON.stringify(tenant)} }`,
    'type: Opaque',
    'stringData:',
    '  ed25519.pem: |',
    indented(keys.privateKeyPem),
    '',
  ].join('\n');
  const values = [
    `# dermagan chart values for hospital ${tenant}'s site (helm install dermagan charts/dermagan -f site-values.yaml`,
    '#   --set-file operatorPublicKey=operator.pub). Fill in the lines marked TODO.',
    'centralServices: false # a site runs only its tenant agent',
    'tenant:',
    '  enabled: true',
    `  id: ${JSON.stringify(tenant)}`,
    `  signingKeySecret: ${secretName}`,
    '  bucket: ""            # TODO: the hospital’s own bucket',
    '  credentialsSecret: "" # TODO: a Secret with accessKey, secretKey for that bucket only',
    '  dataset: ""           # TODO: after `dermagan ingest`, the dataset reference `dermagan tenant check` prints',
    '  roundJobs: { enabled: false } # true: each round trains as a Kubernetes Job on your GPU pool (the agent needs no GPU)',
    'kafka:',
    '  brokers: ""           # TODO: the federation’s Kafka brokers (from the operator)',
    's3:',
    '  endpoint: ""          # TODO: the hospital’s S3 endpoint',
    '',
  ].join('\n');
  return {
    keys,
    registration,
    secretName,
    files: {
      'signing-key.pem': keys.privateKeyPem,
      'signing-key.pub': keys.publicKeyPem,
      'tenant.json': `${JSON.stringify(registration, null, 2)}\n`,
      'signing-key-secret.yaml': secret,
      'site-values.yaml': values,
    },
  };
}
