/**
 * Service configuration from a JSON file (DERMAGAN_CONFIG) overlaid by environment variables,
 * validated once at start-up. Every bad value is reported at once, naming the variable (or file
 * key), what it must be and what was given, so an operator fixes all of them in one go.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly retriable = false;
}

/** The settings every service shares. */
export const BaseConfig = z.object({
  /** Service name (logs, metrics, Kafka client id, consumer group). */
  service: z.string().min(1),
  /** `memory` (embedded, one process) or `kafka`. */
  bus: z.enum(['memory', 'kafka']).default('memory'),
  /** Kafka bootstrap brokers, comma-separated host:port (required when bus = kafka). */
  kafkaBrokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port')).default([]),
  /** Artifact store: `file:///abs/path` (local folder) or `http(s)://host:port` (S3). */
  store: z.string().regex(/^(file:\/\/\/|https?:\/\/)/, 'must start with file:/// or http(s)://').default('file:///tmp/dermagan-store'),
  /** The bucket the service writes to by default (created at start when missing). */
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name (3–63 lower-case letters, digits, dots, hyphens)').default('dermagan'),
  /** S3 credentials (required for an http(s) store). */
  s3AccessKey: z.string().optional(),
  s3SecretKey: z.string().optional(),
  /** Session token of temporary (STS) S3 credentials. */
  s3SessionToken: z.string().optional(),
  /** Local scratch folder: cached copies of datasets and checkpoints, work in progress. */
  workDir: z.string().startsWith('/', 'must be an absolute path').default('/tmp/dermagan-work'),
  /** HTTP port for /healthz, /readyz, /metrics and the service API; 0 picks a free port. */
  httpPort: z.number().int().min(0).max(65535).default(8080),
  /** pino level. */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Seconds SIGTERM waits for the in-flight event before handing it back. */
  shutdownGraceS: z.number().positive().default(30),
  /** tfjs backend of services that compute: native CPU, GPU or wasm; absent = native, wasm as a loud fallback. */
  tfBackend: z.enum(['tensorflow', 'gpu', 'wasm']).optional(),
});
export type BaseConfig = z.infer<typeof BaseConfig>;

/** Environment variable → config key, and how to parse it. */
export interface EnvBinding {
  key: string;
  parse?: (raw: string) => unknown;
}

const list = (raw: string) => raw.split(',').map((s) => s.trim()).filter(Boolean);
const num = (raw: string) => (raw.trim() === '' ? raw : Number(raw));

export const BASE_ENV: Record<string, EnvBinding> = {
  DERMAGAN_SERVICE: { key: 'service' },
  DERMAGAN_BUS: { key: 'bus' },
  DERMAGAN_KAFKA_BROKERS: { key: 'kafkaBrokers', parse: list },
  DERMAGAN_STORE: { key: 'store' },
  DERMAGAN_S3_ENDPOINT: { key: 'store' },
  DERMAGAN_BUCKET: { key: 'bucket' },
  DERMAGAN_S3_ACCESS_KEY: { key: 's3AccessKey' },
  DERMAGAN_S3_SECRET_KEY: { key: 's3SecretKey' },
  DERMAGAN_S3_SESSION_TOKEN: { key: 's3SessionToken' },
  DERMAGAN_HTTP_PORT: { key: 'httpPort', parse: num },
  DERMAGAN_WORK_DIR: { key: 'workDir' },
  DERMAGAN_LOG_LEVEL: { key: 'logLevel' },
  DERMAGAN_SHUTDOWN_GRACE_S: { key: 'shutdownGraceS', parse: num },
  DERMAGAN_TF_BACKEND: { key: 'tfBackend' },
};

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Extra environment bindings for a service's own settings. */
  bindings?: Record<string, EnvBinding>;
  /** Values that win over nothing (lowest priority), e.g. the service name. */
  defaults?: Record<string, unknown>;
}

/**
 * Load `schema` from defaults < DERMAGAN_CONFIG file < environment. Throws ConfigError listing
 * every problem.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, options: LoadConfigOptions = {}): z.output<S> {
  const env = options.env ?? process.env;
  const bindings = { ...BASE_ENV, ...options.bindings };
  const sourceOf = new Map<string, string>();
  const raw: Record<string, unknown> = { ...options.defaults };

  const file = env.DERMAGAN_CONFIG;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`DERMAGAN_CONFIG=${file}: cannot be read as JSON (${(err as Error).message})`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError(`DERMAGAN_CONFIG=${file}: must hold a JSON object of settings`);
    }
    for (const [k, v] of Object.entries(parsed)) {
      raw[k] = v;
      sourceOf.set(k, `${file}: "${k}"`);
    }
  }
  for (const [name, binding] of Object.entries(bindings)) {
    const value = env[name];
    if (value === undefined) continue;
    raw[binding.key] = binding.parse ? binding.parse(value) : value;
    sourceOf.set(binding.key, name);
  }

  const result = schema.safeParse(raw);
  const problems: string[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = String(issue.path[0] ?? '');
      const where = sourceOf.get(key) ?? envNameFor(bindings, key) ?? key;
      const given = key in raw ? ` (got ${JSON.stringify(raw[key])})` : ' (not set)';
      problems.push(`- ${where}${issue.path.length > 1 ? `[${issue.path.slice(1).join('.')}]` : ''}: ${issue.message}${given}`);
    }
  } else {
    const cfg = result.data as Record<string, unknown>;
    if (cfg.bus === 'kafka' && (cfg.kafkaBrokers as string[]).length === 0) {
      problems.push('- DERMAGAN_KAFKA_BROKERS: required when DERMAGAN_BUS=kafka (e.g. 127.0.0.1:9092)');
    }
    if (typeof cfg.store === 'string' && /^https?:/.test(cfg.store) && (!cfg.s3AccessKey || !cfg.s3SecretKey)) {
      problems.push('- DERMAGAN_S3_ACCESS_KEY / DERMAGAN_S3_SECRET_KEY: required for an S3 store');
    }
  }
  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
  return (result as { data: z.output<S> }).data;
}

function envNameFor(bindings: Record<string, EnvBinding>, key: string): string | undefined {
  return Object.entries(bindings).find(([, b]) => b.key === key)?.[0];
}

/**
 * The environment with each `NAME` that is unset read from the file `NAME_FILE` names (a mounted
 * Secret: keys are not put in environment variables by the charts). ConfigError when the file
 * cannot be read.
 */
export function envWithFiles(names: readonly string[], env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of names) {
    const file = out[`${name}_FILE`];
    if (out[name] || !file) continue;
    try {
      out[name] = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`${name}_FILE=${file}: cannot be read (${(err as Error).message})`);
    }
  }
  return out;
}
