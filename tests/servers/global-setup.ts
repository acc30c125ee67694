/**
 * Starts the real servers the integration tests need — an Apache Kafka broker (KRaft), an S3
 * server, a PostgreSQL server and a Kubernetes control plane with GPU and CPU node pools —
 * provisioning them first when the cache lacks them, on free loopback ports. Their addresses reach
 * the tests as environment variables (inherited by the test workers) and through
 * vitest's provide/inject. A server that cannot start fails the run with the reason: nothing skips.
 */
import type { TestProject } from 'vitest/node';
import type { RunningServer } from './running-server.ts';
import { startKafka } from './kafka.ts';
import { startKubernetes } from './kubernetes.ts';
import { startPostgres } from './postgres.ts';
import { startS3 } from './s3.ts';

let servers: RunningServer[] = [];

export async function setup(project: TestProject): Promise<void> {
  const started = await Promise.allSettled([startKafka(), startS3(), startPostgres(), startKubernetes()]);
  servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failures = started.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failures.length > 0) {
    await teardown();
    throw new Error(`integration servers failed to start:\n${failures.map((e) => `- ${e.message}`).join('\n')}`);
  }
  for (const server of servers) {
    Object.assign(process.env, server.env);
    process.stderr.write(`[servers] ${server.name} ready: ${JSON.stringify(server.env)}\n`);
  }
  project.provide('serverEnv', Object.assign({}, ...servers.map((s) => s.env)) as Record<string, string>);
}

export async function teardown(): Promise<void> {
  await Promise.allSettled(servers.map((s) => s.stop()));
  servers = [];
}

declare module 'vitest' {
  export interface ProvidedContext {
    serverEnv: Record<string, string>;
  }
}
