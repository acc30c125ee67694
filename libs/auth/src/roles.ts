/**
 * Who may do what. Four roles; an account has exactly one:
 * - operator: runs the platform; creates accounts and surveys, sees everything;
 * - researcher: reads runs, reports, explorer, privacy, and survey results once a survey is closed;
 * - tenant-admin: a hospital's administrator; sees only runs and federation data of its own tenant;
 * - expert: a survey participant; sees only its own survey's images and its own answers.
 */
import { z } from 'zod';

export const Role = z.enum(['operator', 'researcher', 'tenant-admin', 'expert']);
export type Role = z.infer<typeof Role>;
export const ROLES = Role.options;

/** The signed-in account as every request sees it. */
export interface Principal {
  accountId: string;
  username: string;
  displayName: string;
  role: Role;
  /** The tenant of a tenant admin (null otherwise). */
  tenant: string | null;
  /** The survey of an expert (null otherwise). */
  surveyId: string | null;
}
