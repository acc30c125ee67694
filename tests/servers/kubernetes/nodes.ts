/**
 * The test cluster's node pools, as a GPU cluster has them: a GPU pool (label
 * `dermagan.org/pool=gpu`, tainted `nvidia.com/gpu:NoSchedule`, 4 GPUs a node, as the NVIDIA
 * device plugin would advertise them) and a CPU pool. They are plain Node objects whose status
 * (capacity, Ready) is set here as a kubelet would report it; kwok runs their pods.
 */
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Node } from '@kubernetes/client-node';

/** What the chart's values and the launcher's tests use to reach each pool. */
export const GPU_POOL = { label: { 'dermagan.org/pool': 'gpu' }, taint: { key: 'nvidia.com/gpu', effect: 'NoSchedule' }, gpusPerNode: 4 } as const;
export const CPU_POOL = { label: { 'dermagan.org/pool': 'cpu' } } as const;

export interface PoolNode {
  name: string;
  pool: 'gpu' | 'cpu';
}

export const TEST_NODES: PoolNode[] = [
  { name: 'gpu-node-1', pool: 'gpu' },
  { name: 'gpu-node-2', pool: 'gpu' },
  { name: 'cpu-node-1', pool: 'cpu' },
  { name: 'cpu-node-2', pool: 'cpu' },
];

function nodeObject({ name, pool }: PoolNode): V1Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { ...(pool === 'gpu' ? GPU_POOL.label : CPU_POOL.label), 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok' },
      // kwok manages only nodes carrying this annotation (--manage-nodes-with-annotation-selector).
      annotations: { 'kwok.x-k8s.io/node': 'fake' },
    },
    spec: pool === 'gpu' ? { taints: [{ ...GPU_POOL.taint }] } : {},
  };
}

function nodeStatus({ pool }: PoolNode, index: number): V1Node['status'] {
  const capacity: Record<string, string> = pool === 'gpu'
    ? { cpu: '32', memory: '256Gi', pods: '110', 'ephemeral-storage': '500Gi', 'nvidia.com/gpu': String(GPU_POOL.gpusPerNode) }
    : { cpu: '16', memory: '64Gi', pods: '110', 'ephemeral-storage': '200Gi' };
  const now = new Date();
  return {
    capacity,
    allocatable: capacity,
    addresses: [{ type: 'InternalIP', address: `10.1.0.${10 + index}` }],
    conditions: [
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kwok', lastHeartbeatTime: now, lastTransitionTime: now },
      ...['MemoryPressure', 'DiskPressure', 'PIDPressure'].map((type) => ({ type, status: 'False', reason: 'KubeletHasSufficient', message: 'kwok', lastHeartbeatTime: now, lastTransitionTime: now })),
    ],
    nodeInfo: {
      architecture: 'amd64', operatingSystem: 'linux', kubeletVersion: 'kwok', kubeProxyVersion: 'kwok', containerRuntimeVersion: 'kwok',
      kernelVersion: 'kwok', osImage: 'kwok', machineID: '', systemUUID: '', bootID: '',
    },
    phase: 'Running',
  };
}

/** Registers the pools and reports them Ready. */
export async function createNodePools(kubeconfig: string, nodes: PoolNode[] = TEST_NODES): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  await Promise.all(nodes.map(async (node, index) => {
    await core.createNode({ body: nodeObject(node) });
    await core.patchNodeStatus({ name: node.name, body: { status: nodeStatus(node, index) } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  }));
}
