/**
 * The integration run's Kubernetes: a real control plane on loopback ports
 * (kubernetes/control-plane.ts) with a GPU pool and a CPU pool of kwok nodes (kubernetes/nodes.ts).
 * KUBECONFIG points the tests (client-node, Helm) at it, and never at a cluster of the machine's.
 */
import type { RunningServer } from './running-server.ts';
import { startControlPlane } from './kubernetes/control-plane.ts';
import { createNodePools } from './kubernetes/nodes.ts';

export async function startKubernetes(): Promise<RunningServer> {
  const t0 = performance.now();
  const cluster = await startControlPlane();
  try {
    await createNodePools(cluster.kubeconfig);
  } catch (err) {
    await cluster.stop();
    throw new Error(`Kubernetes: registering the node pools failed: ${(err as Error).message}`);
  }
  process.stderr.write(`[servers] kubernetes: control plane and node pools ready in ${Math.round(performance.now() - t0)} ms at ${cluster.server}\n`);
  return { name: 'kubernetes', env: { KUBECONFIG: cluster.kubeconfig }, stop: () => cluster.stop() };
}
