import { fileURLToPath } from 'node:url';
import { LocalStore } from './local-store.ts';
import type { RetryOptions } from './retry.ts';
import { S3Store } from './s3-store.ts';
import type { ObjectStore } from './store.ts';

/** Keys for an S3 server. */
export interface S3Credentials {
  /** Access key id (default env DERMAGAN_S3_ACCESS_KEY). */
  accessKey: string;
  /** Secret access key (default env DERMAGAN_S3_SECRET_KEY). */
  secretKey: string;
  /** Session token of temporary (STS) credentials, such as a hospital's bucket-scoped ones (default env DERMAGAN_S3_SESSION_TOKEN). */
  sessionToken?: string;
}

/** Adapter settings that do not fit in a URL. */
export interface StoreFromUrlOptions {
  /** Retry policy for the S3 adapter (default DEFAULT_RETRY). */
  retry?: Partial<RetryOptions>;
  /** Multipart part size in bytes for the S3 adapter (default 8 MiB). */
  partSize?: number;
}

/**
 * The store a URL names:
 * - `file:///abs/folder` → LocalStore rooted there;
 * - `http://host:port` / `https://host:port` → S3Store at that endpoint;
 * - `s3://host:port` → S3Store over https (`s3+http://host:port` for a plain-HTTP server).
 * S3 credentials come from `credentials` or else from DERMAGAN_S3_ACCESS_KEY / DERMAGAN_S3_SECRET_KEY
 * (and DERMAGAN_S3_SESSION_TOKEN for temporary credentials).
 */
export function storeFromUrl(url: string, credentials?: S3Credentials, options: StoreFromUrlOptions = {}, env: NodeJS.ProcessEnv = process.env): ObjectStore {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`storeFromUrl: ${JSON.stringify(url)} is not a URL; use file:///absolute/folder or http://host:port (an S3 server)`);
  }
  switch (parsed.protocol) {
    case 'file:':
      if (parsed.host !== '') throw new TypeError(`storeFromUrl: ${url} names a host; a local store is file:///absolute/folder`);
      return new LocalStore({ root: fileURLToPath(parsed) });
    case 'http:':
    case 'https:':
    case 's3:':
    case 's3+http:': {
      if ((parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search !== '' || parsed.username !== '') {
        throw new TypeError(`storeFromUrl: ${url} must be a server address only (scheme, host, port); buckets and keys are chosen per call`);
      }
      const scheme = parsed.protocol === 'http:' || parsed.protocol === 's3+http:' ? 'http' : 'https';
      const keys = credentials ?? credentialsFromEnv(env, url);
      return new S3Store({ endpoint: `${scheme}://${parsed.host}`, ...keys, ...options });
    }
    default:
      throw new TypeError(`storeFromUrl: unsupported scheme "${parsed.protocol}" in ${url}; use file://, http(s):// or s3://`);
  }
}

/**
 * The S3 store the environment names (DERMAGAN_S3_ENDPOINT and keys), or null when
 * DERMAGAN_S3_ENDPOINT is unset (the caller falls back to a local folder).
 */
export function s3StoreFromEnv(env: NodeJS.ProcessEnv = process.env, options: StoreFromUrlOptions = {}): ObjectStore | null {
  const endpoint = env.DERMAGAN_S3_ENDPOINT;
  if (endpoint === undefined || endpoint === '') return null;
  return storeFromUrl(endpoint, undefined, options, env);
}

function credentialsFromEnv(env: NodeJS.ProcessEnv, url: string): S3Credentials {
  const accessKey = env.DERMAGAN_S3_ACCESS_KEY;
  const secretKey = env.DERMAGAN_S3_SECRET_KEY;
  const missing = [!accessKey && 'DERMAGAN_S3_ACCESS_KEY', !secretKey && 'DERMAGAN_S3_SECRET_KEY'].filter(Boolean);
  if (missing.length > 0) {
    throw new TypeError(`storeFromUrl: ${url} is an S3 server but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set; set them or pass credentials`);
  }
  const sessionToken = env.DERMAGAN_S3_SESSION_TOKEN;
  return { accessKey: accessKey!, secretKey: secretKey!, ...(sessionToken ? { sessionToken } : {}) };
}
