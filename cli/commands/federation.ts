/**
 * `dermagan federation …`: the operator's side of a federation across hospitals.
 *   init --out DIR                 the operator's Ed25519 key pair (operator.key 0600, operator.pub for the hospitals and the aggregator)
 *   tenants add|list|remove        the registry of hospitals (id, public key, bucket, registered image count) in the operator's store
 *   start                          builds federation.requested from the registry, signs it with the operator key, publishes it
 *                                  (--follow: and prints its rounds until it ends)
 * The aggregator and the hospitals' agents verify the request against the operator's public key.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { ContractError, DEFAULT_MAX_NORM_TO_MEDIAN, FederatedGanTrainingOptions, TenantRegistration } from '@dermagan/contracts';
import { federationRequest, FederationRun, generateTenantKeyPair, RegistryError, requestTenants, STRATEGIES, TenantRegistry, watchFederation } from '@dermagan/federation';
import { z } from 'zod';
import { writeNewFiles } from '../key-files.ts';
import { finiteNumber, positiveInt, printJson, UserError } from '../output.ts';
import { roundLine } from '../round-line.ts';
import { readPrivateKeyFile } from '../signing-keys.ts';
import { addGanTrainingFlags, ganTrainingOptionsFrom } from '../training-flags.ts';
import { busFor, storeAt } from '../wiring.ts';

/** Where the operator keeps its registry and the federations' outputs. */
interface StoreFlags {
  store: string;
  operatorBucket: string;
}

const addStoreFlags = (c: Command) =>
  c
    .option('--store <s3|dir>', "the operator's store: s3 (DERMAGAN_S3_*) or a local folder", 's3')
    .option('--operator-bucket <name>', "the operator's bucket (the aggregator's: the registry, the federations' global models)", 'fl-aggregator');

export function registerFederation(program: Command): void {
  const federation = program.command('federation').description("the operator's side of a federation: its key, the hospitals' registry, starting a federation");

  federation
    .command('init')
    .description("make the operator's Ed25519 key pair: operator.key (keep it; signs every federation request) and operator.pub (give it to the aggregator and every hospital)")
    .requiredOption('--out <dir>', 'folder for operator.key (mode 0600) and operator.pub')
    .action(async (flags: { out: string }) => {
      const keys = generateTenantKeyPair();
      const written = await writeNewFiles(resolve(flags.out), { 'operator.key': keys.privateKeyPem, 'operator.pub': keys.publicKeyPem }, ['operator.key']);
      process.stdout.write(`${written.join('\n')}\noperator.pub goes to the fl-aggregator (chart: --set-file operatorPublicKey=operator.pub) and to every hospital.\n`);
    });

  const tenants = federation.command('tenants').description("the registry of hospitals that may take part");
  addStoreFlags(
    tenants
      .command('add')
      .description("register a hospital from the tenant.json it sent (`dermagan tenant init`), with its bucket and image count")
      .requiredOption('--from <tenant.json>', "the hospital's registration")
      .requiredOption('--bucket <name>', "the hospital's own bucket")
      .requiredOption('--samples <n>', 'images the hospital registered: the most its updates may claim (its FedAvg weight)', positiveInt('--samples'))
      .option('--replace', 'replace a registered tenant (a new key or image count)'),
  ).action(async (flags: StoreFlags & { from: string; bucket: string; samples: number; replace?: boolean }) => {
    const registration = await readRegistration(flags.from);
    const entry = await registryCall(() => registryOf(flags).add(registration, { bucket: flags.bucket, samples: flags.samples, replace: flags.replace === true }));
    process.stdout.write(`registered ${entry.tenant}: bucket ${entry.bucket}, ${entry.samples} images\n`);
  });
  addStoreFlags(tenants.command('list').description('the registered hospitals').option('--json', 'one JSON line')).action(async (flags: StoreFlags & { json?: boolean }) => {
    const list = await registryCall(() => registryOf(flags).list());
    if (flags.json) return printJson(list.map(({ publicKey: _key, ...t }) => t));
    if (list.length === 0) process.stdout.write('no tenant registered\n');
    for (const t of list) process.stdout.write(`${t.tenant}\tbucket ${t.bucket}\t${t.samples} images\tadded ${t.addedAt}\n`);
  });
  addStoreFlags(tenants.command('remove <tenant>').description('remove a hospital from the registry (federations already started keep it)')).action(async (tenant: string, flags: StoreFlags) => {
    if (!(await registryCall(() => registryOf(flags).remove(tenant)))) throw new UserError(`tenant ${tenant} is not registered (see \`dermagan federation tenants list\`)`);
    process.stdout.write(`removed ${tenant}\n`);
  });

  const start = addStoreFlags(
    federation
      .command('start')
      .description('build federation.requested from the registry, sign it with the operator key and publish it on Kafka (DERMAGAN_KAFKA_BROKERS)')
      .requiredOption('--id <federation>', 'federation id')
      .requiredOption('--operator-key <file>', "the operator's private key (dermagan federation init)")
      .requiredOption('--rounds <n>', 'federation rounds', positiveInt('--rounds'))
      .option('--k <n>', 'local iterations per round (the study: 100)', positiveInt('--k'), 100)
      .option('--tenants <ids>', 'comma-separated registered tenants to ask (default: every registered one)')
      .addOption(new Option('--strategy <name>', 'aggregation rule').choices(Object.keys(STRATEGIES)).default('fedavg'))
      .option('--secagg', 'secure aggregation (pairwise-masked updates)')
      .option('--quorum <n>', 'accepted updates needed to aggregate a round (default: every tenant)', positiveInt('--quorum'))
      .option('--round-timeout <s>', 'seconds a round stays open', finiteNumber('--round-timeout'), 3600)
      .option('--max-update-norm <x>', 'reject updates with ‖update − global‖ above this (absent: only the bound relative to the round median applies)', finiteNumber('--max-update-norm'))
      .option('--max-norm-to-median <x>', `reject updates with a norm above x × the round's median (≥ 3 updates; default ${DEFAULT_MAX_NORM_TO_MEDIAN}; 0 = off)`, finiteNumber('--max-norm-to-median'))
      .option('--follow', 'stay and print each round as it completes; exit 0 when the federation completes, 1 when it fails (Ctrl-C stops following, not the federation)')
      .addOption(new Option('--bus <kind>', 'event bus').choices(['kafka', 'memory']).default('kafka')),
  );
  addGanTrainingFlags(start, { omit: ['kimg', 'tickKimg'], defaults: { cfg: 'quick' } }).action(async (flags: Record<string, unknown> & StoreFlags) => {
    const event = await startRequest(flags);
    const bus = busFor(flags.bus as 'kafka' | 'memory', 'dermagan-federation-start');
    await bus.start();
    try {
      // Watching starts before the request is out, so no round is missed.
      const watching = flags.follow === true ? await watchFederation(bus, event.runid!, (r) => process.stdout.write(`${roundLine(r, event.data.rounds)}\n`)) : null;
      await bus.publish(event);
      process.stdout.write(`federation ${event.runid} requested (${event.data.tenants.map((t) => t.tenant).join(', ')}; ${event.data.rounds} rounds), signed by the operator key\n`);
      if (!watching) return;
      const outcome = await watching.done;
      if (outcome.status === 'completed') {
        const { global } = outcome.completed;
        process.stdout.write(`federation ${event.runid} completed: global model ${global.bucket}/${global.key} (sha256 ${global.sha256.slice(0, 12)})\n`);
      } else {
        process.stdout.write(`federation ${event.runid} failed: ${outcome.reason}\n`);
        process.exitCode = 1;
      }
    } finally {
      await bus.close();
    }
  });
}

/** The signed request `federation start` publishes, from the flags and the registry. */
export async function startRequest(flags: Record<string, unknown> & StoreFlags) {
  const operatorKey = await readPrivateKeyFile(String(flags.operatorKey), '--operator-key');
  const registered = await registryCall(() => registryOf(flags).list());
  const only = typeof flags.tenants === 'string' ? flags.tenants.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  const tenants = await registryCall(async () => requestTenants(registered, only));
  const id = String(flags.id);
  let event;
  try {
    const training = ganTrainingOptionsFrom(flags, FederatedGanTrainingOptions);
    event = federationRequest(
      {
        federation: id, tenants, rounds: flags.rounds as number, k: flags.k as number, strategy: { name: String(flags.strategy) },
        secagg: flags.secagg === true, quorum: (flags.quorum as number | undefined) ?? tenants.length, roundTimeoutMs: (flags.roundTimeout as number) * 1000,
        ...(flags.maxUpdateNorm !== undefined ? { maxUpdateNorm: flags.maxUpdateNorm as number } : {}),
        ...(flags.maxNormToMedian !== undefined ? { maxNormToMedian: flags.maxNormToMedian as number } : {}),
        training, output: { bucket: flags.operatorBucket, prefix: `federations/${id}/out/` },
      },
      operatorKey,
      '/dermagan/cli/federation-start',
    );
  } catch (err) {
    if (err instanceof ContractError) throw new UserError(`${err.message} (from the flags)`, { cause: err });
    throw err;
  }
  const refusal = FederationRun.refusal(event.data);
  if (refusal) throw new UserError(refusal);
  return event;
}

function registryOf(flags: StoreFlags): TenantRegistry {
  return new TenantRegistry(storeAt(flags.store), flags.operatorBucket);
}

async function registryCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof RegistryError || err instanceof ContractError) throw new UserError(err.message, { cause: err });
    throw err;
  }
}

async function readRegistration(file: string): Promise<TenantRegistration> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UserError(`--from ${file}: cannot be read as JSON (${(err as Error).message}); it is the tenant.json \`dermagan tenant init\` wrote`);
  }
  const parsed = TenantRegistration.safeParse(raw);
  if (!parsed.success) throw new UserError(`--from ${file}: not a hospital's tenant.json: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
