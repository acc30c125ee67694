/** Accounts (operators only): list, create. Experts are made by their invitations, not here. */
import { createAccount, listAccounts } from '@dermagan/auth';
import { z } from 'zod';
import { route } from '../http/route.ts';
import type { PortalDeps } from '../deps.ts';
import { PrincipalView } from './schemas.ts';

export function accountRoutes(deps: PortalDeps) {
  return [
    route({
      method: 'get',
      path: '/api/accounts',
      tag: 'accounts',
      summary: 'Every account but the experts',
      access: ['operator'],
      response: z.object({ accounts: z.array(PrincipalView) }),
      handle: async () => ({ accounts: await listAccounts(deps.db) }),
    }),
    route({
      method: 'post',
      path: '/api/accounts',
      tag: 'accounts',
      summary: 'Create an operator, researcher or tenant-admin account',
      access: ['operator'],
      body: z.object({
        username: z.string().min(2).max(64),
        displayName: z.string().max(200).optional(),
        role: z.enum(['operator', 'researcher', 'tenant-admin']),
        tenant: z.string().min(1).max(100).optional().describe('required for a tenant admin: the one tenant it sees'),
        password: z.string().min(8).max(256),
      }),
      response: PrincipalView,
      handle: async ({ body }) => createAccount(deps.db, body),
    }),
  ];
}
