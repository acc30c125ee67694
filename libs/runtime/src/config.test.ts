import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BaseConfig, ConfigError, loadConfig } from './config.ts';

const defaults = { service: 'test' };

describe('loadConfig', () => {
  it('gives the defaults when nothing is set', () => {
    const cfg = loadConfig(BaseConfig, { env: {}, defaults });
    expect(cfg).toMatchObject({ service: 'test', bus: 'memory', httpPort: 8080, logLevel: 'info', kafkaBrokers: [] });
  });

  it('reads the environment, parsing lists and numbers', () => {
    const cfg = loadConfig(BaseConfig, {
      env: { DERMAGAN_BUS: 'kafka', DERMAGAN_KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093', DERMAGAN_HTTP_PORT: '9100' },
      defaults,
    });
    expect(cfg.bus).toBe('kafka');
    expect(cfg.kafkaBrokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
    expect(cfg.httpPort).toBe(9100);
  });

  it('reads the tfjs backend the wiring loads (DERMAGAN_TF_BACKEND), absent = the default', () => {
    expect(loadConfig(BaseConfig, { env: { DERMAGAN_TF_BACKEND: 'wasm' }, defaults }).tfBackend).toBe('wasm');
    expect(loadConfig(BaseConfig, { env: {}, defaults }).tfBackend).toBeUndefined();
    expect(() => loadConfig(BaseConfig, { env: { DERMAGAN_TF_BACKEND: 'cuda' }, defaults })).toThrow(/DERMAGAN_TF_BACKEND/);
  });

  it('lets the environment win over the DERMAGAN_CONFIG file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ httpPort: 7000, logLevel: 'debug' }));
    const cfg = loadConfig(BaseConfig, { env: { DERMAGAN_CONFIG: file, DERMAGAN_HTTP_PORT: '7001' }, defaults });
    expect(cfg.httpPort).toBe(7001);
    expect(cfg.logLevel).toBe('debug');
  });

  it('reports every bad value at once, naming where it came from', () => {
    const run = () =>
      loadConfig(BaseConfig, { env: { DERMAGAN_BUS: 'rabbit', DERMAGAN_HTTP_PORT: 'eighty', DERMAGAN_STORE: 'ftp://x' }, defaults });
    expect(run).toThrow(ConfigError);
    const message = (() => {
      try {
        run();
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    })();
    expect(message).toContain('DERMAGAN_BUS');
    expect(message).toContain('"rabbit"');
    expect(message).toContain('DERMAGAN_HTTP_PORT');
    expect(message).toContain('DERMAGAN_STORE');
  });

  it('requires brokers for kafka and credentials for S3', () => {
    expect(() => loadConfig(BaseConfig, { env: { DERMAGAN_BUS: 'kafka' }, defaults })).toThrow(/DERMAGAN_KAFKA_BROKERS: required/);
    expect(() => loadConfig(BaseConfig, { env: { DERMAGAN_STORE: 'http://127.0.0.1:9000' }, defaults })).toThrow(/DERMAGAN_S3_ACCESS_KEY/);
  });

  it('rejects a config file that is not a JSON object', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, '[1, 2]');
    expect(() => loadConfig(BaseConfig, { env: { DERMAGAN_CONFIG: file }, defaults })).toThrow(/must hold a JSON object/);
    expect(() => loadConfig(BaseConfig, { env: { DERMAGAN_CONFIG: join(dir, 'missing.json') }, defaults })).toThrow(/cannot be read/);
  });

  it('validates a service schema that extends the base with its own bindings', () => {
    const Schema = BaseConfig.extend({ workers: z.number().int().positive().default(2) });
    const bindings = { DERMAGAN_WORKERS: { key: 'workers', parse: Number } };
    expect(loadConfig(Schema, { env: { DERMAGAN_WORKERS: '4' }, bindings, defaults }).workers).toBe(4);
    expect(() => loadConfig(Schema, { env: { DERMAGAN_WORKERS: '-1' }, bindings, defaults })).toThrow(/DERMAGAN_WORKERS/);
  });
});
