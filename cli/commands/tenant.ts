/**
 * `dermagan tenant …`: a hospital's side of a federation.
 *   init --id ID --out DIR   its Ed25519 key pair, tenant.json for the operator, the Kubernetes Secret
 *                            for the chart's tenant.signingKeySecret, and the site's chart values
 *   check                    each prerequisite proved from the site's own settings, one line each
 *   status                   its federations, last round, rejections and their reasons, how each ended
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { TenantId } from '@dermagan/contracts';
import { checkTenant, SECRET_KIT_FILES, tenantKit } from '@dermagan/federation';
import { tenantStatuses } from '@dermagan/service-gan-trainer';
import { writeNewFiles } from '../key-files.ts';
import { printJson, UserError } from '../output.ts';
import { siteProbes, siteSettingsFromEnv, withScratch } from '../tenant-probes.ts';
import { storeFor } from '../wiring.ts';

export function registerTenant(program: Command): void {
  const tenant = program.command('tenant').description("a hospital's side of a federation: its keys, a self-check, its status");

  tenant
    .command('init')
    .description("make the hospital's signing key pair and the files to send and install (tenant.json, signing-key-secret.yaml, site-values.yaml)")
    .requiredOption('--id <tenant>', 'the hospital’s tenant id (agreed with the operator), e.g. hospital-a')
    .requiredOption('--out <dir>', 'folder for the files (signing-key.pem and signing-key-secret.yaml are written with mode 0600)')
    .action(async (flags: { id: string; out: string }) => {
      const id = TenantId.safeParse(flags.id);
      if (!id.success) throw new UserError(`--id ${JSON.stringify(flags.id)}: a tenant id ${id.error.issues[0]?.message ?? 'is invalid'}`);
      const kit = tenantKit(id.data);
      const out = resolve(flags.out);
      await writeNewFiles(out, kit.files, SECRET_KIT_FILES);
      process.stdout.write(
        [
          `${out}/`,
          '  tenant.json              send to the federation operator (your id and public key; nothing secret)',
          '  signing-key.pem          your private key (mode 0600): keep it on site, never send it',
          '  signing-key.pub          your public key',
          `  signing-key-secret.yaml  kubectl apply -n <namespace> -f it (Secret ${kit.secretName}, the chart's tenant.signingKeySecret)`,
          '  site-values.yaml         the chart values of your site: fill in the TODO lines',
          '',
        ].join('\n'),
      );
    });

  tenant
    .command('check')
    .description("prove the site's prerequisites from its own settings (the tenant agent's environment): S3, isolation, broker and topics, dataset, compute; exit 1 naming what to fix")
    .option('--other-bucket <name>', "another tenant's bucket your credentials must NOT read (repeatable)", (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--json', 'one JSON line with every check')
    .action(async (flags: { otherBucket: string[]; json?: boolean }) => {
      const site = siteSettingsFromEnv();
      const lines = await withScratch((work) => checkTenant(siteProbes(site, storeFor('s3', ''), flags.otherBucket, work)));
      if (flags.json) printJson({ tenant: site.tenant, ok: lines.every((l) => l.ok), checks: lines });
      else for (const l of lines) process.stdout.write(`${l.ok ? 'ok  ' : 'FAIL'} ${l.text}\n`);
      if (!lines.every((l) => l.ok)) process.exitCode = 1;
    });

  tenant
    .command('status')
    .description('the federations this site belongs to, the last round it took part in, its rejected updates with their reasons, and how each federation ended (from its bucket)')
    .option('--json', 'one JSON line')
    .action(async (flags: { json?: boolean }) => {
      const site = siteSettingsFromEnv();
      const statuses = await tenantStatuses(storeFor('s3', ''), site.bucket);
      if (flags.json) return printJson({ tenant: site.tenant, federations: statuses });
      if (statuses.length === 0) process.stdout.write(`${site.tenant}: no federation yet (none whose request the operator signed has reached this site)\n`);
      for (const s of statuses) {
        const last = s.lastRound === 0 ? 'no round completed yet' : `last round ${s.lastRound}: ${s.lastOutcome}`;
        const end = !s.ended ? 'running' : s.ended.outcome === 'completed' ? `completed after ${s.ended.round} round(s)` : `failed in round ${s.ended.round}: ${s.ended.reason}`;
        process.stdout.write(`${s.federation}\t${last}\t${s.rejections.length} rejection(s)\t${end}\n`);
        for (const r of s.rejections) process.stdout.write(`  round ${r.round}: ${r.reason} — ${r.detail}\n`);
      }
    });
}
