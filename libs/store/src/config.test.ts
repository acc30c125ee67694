import { describe, expect, it } from 'vitest';
import { s3StoreFromEnv, storeFromUrl } from './config.ts';
import { LocalStore } from './local-store.ts';
import { S3Store } from './s3-store.ts';

const keys = { accessKey: 'ak', secretKey: 'sk-secret' };

describe('storeFromUrl', () => {
  it('file:///abs → LocalStore rooted there', () => {
    const store = storeFromUrl('file:///tmp/dermagan-store');
    expect(store).toBeInstanceOf(LocalStore);
    expect(store.url).toBe('file:///tmp/dermagan-store');
  });

  it.each([
    ['http://127.0.0.1:9000', 'http://127.0.0.1:9000'],
    ['https://s3.example.org:443', 'https://s3.example.org'],
    ['s3://minio.local:9000', 'https://minio.local:9000'],
    ['s3+http://minio.local:9000', 'http://minio.local:9000'],
  ])('%s → S3Store at %s', (url, endpoint) => {
    const store = storeFromUrl(url, keys);
    expect(store).toBeInstanceOf(S3Store);
    expect(store.url).toBe(endpoint);
  });

  it('takes S3 keys from the environment, and says which are missing', () => {
    expect(storeFromUrl('http://h:1', undefined, {}, { DERMAGAN_S3_ACCESS_KEY: 'a', DERMAGAN_S3_SECRET_KEY: 'b' })).toBeInstanceOf(S3Store);
    expect(() => storeFromUrl('http://h:1', undefined, {}, { DERMAGAN_S3_ACCESS_KEY: 'a' })).toThrow(/DERMAGAN_S3_SECRET_KEY is not set/);
  });

  it.each([
    ['not a url', /is not a URL/],
    ['ftp://h/x', /unsupported scheme "ftp:"/],
    ['file://host/x', /names a host/],
    ['http://h:1/path', /server address only/],
  ])('rejects %j', (url, message) => {
    expect(() => storeFromUrl(url, keys)).toThrow(message);
  });

  it('s3StoreFromEnv: null without DERMAGAN_S3_ENDPOINT, an S3Store with it', () => {
    expect(s3StoreFromEnv({})).toBeNull();
    const store = s3StoreFromEnv({ DERMAGAN_S3_ENDPOINT: 'http://127.0.0.1:9', DERMAGAN_S3_ACCESS_KEY: 'a', DERMAGAN_S3_SECRET_KEY: 'b' });
    expect(store?.url).toBe('http://127.0.0.1:9');
  });
});
