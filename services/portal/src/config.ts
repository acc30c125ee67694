/**
 * The portal's settings: the service basics (bus, store, port) plus its database, sessions,
 * cookies, where images are rendered, and the first operator account.
 */
import { BaseConfig, type EnvBinding } from '@dermagan/runtime';
import { z } from 'zod';

const num = (raw: string) => (raw.trim() === '' ? raw : Number(raw));
const bool = (raw: string) => (raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : raw);

export const PortalConfig = BaseConfig.extend({
  /** `postgres://user:password@host:port/db` (a deployment) or `pglite:/abs/folder` (embedded) or `pglite:memory`. */
  databaseUrl: z.string().regex(/^(postgres(ql)?:\/\/|pglite:)/, 'must be postgres://… or pglite:/abs/folder or pglite:memory').default('pglite:memory'),
  /** Apply pending migrations at start (false when the chart's migration Job does it). */
  migrate: z.boolean().default(true),
  /** Cookies only over HTTPS (true behind a TLS Ingress; false on the embedded 127.0.0.1). */
  secureCookies: z.boolean().default(false),
  /** Session ends this many seconds after sign-in, and after this many idle seconds. */
  sessionAbsoluteS: z.number().int().positive().default(12 * 3600),
  sessionIdleS: z.number().int().positive().default(2 * 3600),
  /** Invitation links expire after this many seconds (default 14 days). */
  invitationTtlS: z.number().int().positive().default(14 * 24 * 3600),
  /** The generator service's base URL (`http://generator:8080`); unset = render in this process with libs/gan. */
  generatorUrl: z.string().url().optional(),
  /** Password of the first operator account `admin`, created when the database has no account; unset = generated and printed once. */
  adminPassword: z.string().min(8).optional(),
  /** Side in pixels of the survey's display images (training size upscaled). */
  surveyDisplaySize: z.number().int().min(64).max(1024).default(256),
});
export type PortalConfig = z.infer<typeof PortalConfig>;

export const PORTAL_ENV: Record<string, EnvBinding> = {
  DERMAGAN_PORTAL_DATABASE_URL: { key: 'databaseUrl' },
  DERMAGAN_PORTAL_MIGRATE: { key: 'migrate', parse: bool },
  DERMAGAN_PORTAL_SECURE_COOKIES: { key: 'secureCookies', parse: bool },
  DERMAGAN_PORTAL_SESSION_ABSOLUTE_S: { key: 'sessionAbsoluteS', parse: num },
  DERMAGAN_PORTAL_SESSION_IDLE_S: { key: 'sessionIdleS', parse: num },
  DERMAGAN_PORTAL_INVITATION_TTL_S: { key: 'invitationTtlS', parse: num },
  DERMAGAN_PORTAL_GENERATOR_URL: { key: 'generatorUrl' },
  DERMAGAN_PORTAL_ADMIN_PASSWORD: { key: 'adminPassword' },
  DERMAGAN_PORTAL_SURVEY_DISPLAY_SIZE: { key: 'surveyDisplaySize', parse: num },
};
