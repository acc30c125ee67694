/**
 * A portal for tests: PGlite in memory (or a given database URL), an in-memory bus and a local
 * store in a temp folder unless given, on a free 127.0.0.1 port; and an HTTP client that keeps
 * cookies and sends the CSRF token the way the web app does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccount, type Principal, type Role } from '@dermagan/auth';
import { MemoryBus, type EventBus } from '@dermagan/bus';
import { LocalStore, type ObjectStore } from '@dermagan/store';
import { PortalConfig } from '../config.ts';
import { startPortal, type RunningPortal } from '../portal.ts';
import type { Renderer } from '../render/renderer.ts';

export const TEST_PASSWORD = 'test-password-1';

export interface TestPortal {
  portal: RunningPortal;
  url: string;
  bus: EventBus;
  store: ObjectStore;
  /** A client signed in as a new account of this role. */
  as(role: Exclude<Role, 'expert'>, extra?: { tenant?: string }): Promise<Client>;
  client(): Client;
  close(): Promise<void>;
}

export interface StartOptions {
  databaseUrl?: string;
  bus?: EventBus;
  store?: ObjectStore;
  renderer?: Renderer;
  config?: Record<string, unknown>;
}

let serial = 0;

export async function startTestPortal(options: StartOptions = {}): Promise<TestPortal> {
  const dir = await mkdtemp(join(tmpdir(), 'dermagan-portal-test-'));
  const bus = options.bus ?? new MemoryBus();
  if (!options.bus) await bus.start();
  const store = options.store ?? new LocalStore({ root: join(dir, 'store') });
  const config = PortalConfig.parse({
    service: 'portal',
    httpPort: 0,
    databaseUrl: options.databaseUrl ?? 'pglite:memory',
    workDir: join(dir, 'work'),
    logLevel: 'silent',
    adminPassword: TEST_PASSWORD,
    ...options.config,
  });
  const portal = await startPortal({ config, bus, store, host: '127.0.0.1', handleSignals: false, ...(options.renderer ? { renderer: options.renderer } : {}) });
  const url = `http://127.0.0.1:${portal.port}`;
  return {
    portal,
    url,
    bus,
    store,
    client: () => new Client(url),
    as: async (role, extra = {}) => {
      const username = `${role}-${++serial}`;
      await createAccount(portal.deps.db, { username, role, password: TEST_PASSWORD, ...(role === 'tenant-admin' ? { tenant: extra.tenant ?? 'hospital-a' } : {}) });
      const c = new Client(url);
      await c.signIn(username, TEST_PASSWORD);
      return c;
    },
    close: async () => {
      await portal.stop();
      if (!options.bus) await bus.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
  bytes: Buffer;
}

/** A browser-like client: a cookie jar and the CSRF header. */
export class Client {
  private readonly cookies = new Map<string, string>();
  csrf = '';
  principal: Principal | null = null;

  constructor(readonly base: string) {}

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
    if (!this.csrf && method !== 'GET') await this.session();
    const res = await fetch(this.base + path, {
      method,
      redirect: 'manual',
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
        ...(method === 'GET' ? {} : { 'x-csrf-token': this.csrf }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const [name, value] = [pair!.slice(0, eq), pair!.slice(eq + 1)];
      if (/Max-Age=0/.test(c)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    const type = res.headers.get('content-type') ?? '';
    const parsed = type.includes('json') && bytes.length ? JSON.parse(bytes.toString('utf8')) : {};
    return { status: res.status, body: parsed as T, headers: res.headers, bytes };
  }

  get<T = Record<string, unknown>>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = Record<string, unknown>>(path: string, body: unknown = {}) {
    return this.request<T>('POST', path, body);
  }

  async session(): Promise<void> {
    const s = await this.get<{ csrfToken: string; principal: Principal | null }>('/api/session');
    this.csrf = s.body.csrfToken;
    this.principal = s.body.principal;
  }

  async signIn(username: string, password: string): Promise<void> {
    await this.session();
    const r = await this.post<{ csrfToken: string; principal: Principal }>('/api/session', { username, password });
    if (r.status !== 200) throw new Error(`sign-in as ${username} failed: ${r.status} ${JSON.stringify(r.body)}`);
    this.csrf = r.body.csrfToken;
    this.principal = r.body.principal;
  }

  /** Accept an invitation link as a new expert. */
  async accept(path: string, username: string): Promise<void> {
    await this.session();
    const r = await this.post<{ csrfToken: string; principal: Principal }>(`/api${path.replace(/^\/invite\//, '/invitations/')}`, { username, password: TEST_PASSWORD });
    if (r.status !== 200) throw new Error(`accepting ${path} failed: ${r.status} ${JSON.stringify(r.body)}`);
    this.csrf = r.body.csrfToken;
    this.principal = r.body.principal;
  }
}
