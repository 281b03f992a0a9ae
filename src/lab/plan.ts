// The lab's layout, pure: addresses, ASNs and the cluster objects for a node, the routing
// objects of a topology, and the default workload. Everything here is data the lab then creates.
//
//   mesh  all nodes on one L2 segment (a bridge in the "switch" namespace), iBGP full mesh.
//   tor   each node on its own /24 to a "tor" router namespace; the router peers eBGP from its
//         loopback with every node (each node its own AS, annotation meridian.io/asn), installs
//         the podCIDRs in its FIB and forwards between nodes. Node mesh off.
//   rr    the mesh segment plus a route reflector: an external router on the segment (--router
//         bird|frr|gobgp) or node-1 itself (--router meridian, kube-router's rr.server annotation).
//         Node mesh off; next hops unchanged, so pods still talk node to node directly.

import type { RouterKind } from './routers/types.js';

export type Topology = 'mesh' | 'tor' | 'rr';
export type RouterChoice = RouterKind | 'meridian';

export const NODE_ASN = 64512;
export const TOR_ASN = 65000;
export const TOR_LOOPBACK4 = '172.16.0.1';
export const TOR_LOOPBACK6 = 'fd00:172:16::1';
/** The segment's unused router address: nodes need a default route for proxy ARP of 169.254.1.1. */
export const SEGMENT_GATEWAY4 = '192.168.100.254';
export const RR_ADDRESS4 = '192.168.100.250';
export const RR_ADDRESS6 = 'fd00:192:168:100::250';
export const LAB_PORTS = [80, 81] as const;

export interface LabOptions {
  readonly topology: Topology;
  readonly router: RouterChoice;
  readonly ipv6: boolean;
}

export interface NodePlan {
  readonly name: string;
  /** 1-based, stable for the node's life: addresses and podCIDRs derive from it. */
  readonly index: number;
  readonly ip4: string;
  readonly ip6: string | undefined;
  /** Address/prefix on the node's uplink. */
  readonly uplink: readonly string[];
  readonly gateway4: string;
  readonly gateway6: string | undefined;
  readonly podCidrs: readonly string[];
  /** Router side of the node's own link (tor only). */
  readonly routerSide: readonly string[];
  readonly asn: number;
}

export function validIndex(index: number): void {
  if (!Number.isInteger(index) || index < 1 || index > 200) throw new Error(`node index ${index}: the lab has room for nodes 1-200`);
}

export function planNode(o: LabOptions, name: string, index: number): NodePlan {
  validIndex(index);
  const tor = o.topology === 'tor';
  // Behind the ToR each node has its own /24 (router .1, node .2); otherwise one shared segment.
  const ip4 = tor ? `172.16.${index}.2` : `192.168.100.${index}`;
  const ip6 = !o.ipv6 ? undefined : tor ? `fd00:172:16:${index}::2` : `fd00:192:168:100::${index.toString(16)}`;
  const gateway6 = !o.ipv6 ? undefined : tor ? `fd00:172:16:${index}::1` : 'fd00:192:168:100::fe';
  return {
    name,
    index,
    ip4,
    ip6,
    uplink: [`${ip4}/24`, ...(ip6 !== undefined ? [`${ip6}/64`] : [])],
    gateway4: tor ? `172.16.${index}.1` : SEGMENT_GATEWAY4,
    gateway6,
    podCidrs: [`10.244.${index}.0/24`, ...(o.ipv6 ? [`fd00:10:244:${index}::/64`] : [])],
    routerSide: tor ? [`172.16.${index}.1/24`, ...(gateway6 !== undefined ? [`${gateway6}/64`] : [])] : [],
    asn: tor ? 64600 + index : NODE_ASN,
  };
}

type Doc = Record<string, unknown>;

/** The Node object, as the API server would hold it for a kubelet-registered node. */
export function nodeObject(o: LabOptions, n: NodePlan): Doc {
  const annotations: Record<string, string> = {};
  if (o.topology === 'tor') annotations['meridian.io/asn'] = String(n.asn);
  if (o.topology === 'rr' && o.router === 'meridian' && n.index === 1) annotations['kube-router.io/rr.server'] = '1';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name }, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
    spec: { podCIDR: n.podCidrs[0], podCIDRs: n.podCidrs },
    status: { addresses: [{ type: 'InternalIP', address: n.ip4 }, ...(n.ip6 !== undefined ? [{ type: 'InternalIP', address: n.ip6 }] : []), { type: 'Hostname', address: n.name }] },
  };
}

/** BGPConfiguration and BGPPeers of the topology (none for the mesh, nor for a node reflector). */
export function routingObjects(o: LabOptions): Doc[] {
  if (o.topology === 'mesh' || (o.topology === 'rr' && o.router === 'meridian')) return [];
  const peers: [string, string, number][] =
    o.topology === 'tor'
      ? [['tor', TOR_LOOPBACK4, TOR_ASN], ...(o.ipv6 ? [['tor-v6', TOR_LOOPBACK6, TOR_ASN] as [string, string, number]] : [])]
      : [['rr', RR_ADDRESS4, NODE_ASN], ...(o.ipv6 ? [['rr-v6', RR_ADDRESS6, NODE_ASN] as [string, string, number]] : [])];
  return [
    { apiVersion: 'meridian.io/v1', kind: 'BGPConfiguration', metadata: { name: 'default' }, spec: { nodeToNodeMesh: false } },
    ...peers.map(([name, peerIP, asNumber]) => ({ apiVersion: 'meridian.io/v1', kind: 'BGPPeer', metadata: { name }, spec: { peerIP, asNumber } })),
  ];
}

export const DEFAULT_NAMESPACES = ['x', 'y', 'z'] as const;
export const DEFAULT_PODS = ['a', 'b', 'c'] as const;

/**
 * The upstream NetworkPolicy e2e model: namespaces x, y, z (labels ns=<name> and
 * kubernetes.io/metadata.name=<name>), pods a, b, c in each (label pod=<name>) serving TCP and UDP
 * on 80 and 81 with named ports serve-80-tcp etc., spread over the nodes in turn.
 */
export function defaultObjects(nodes: readonly string[]): Doc[] {
  const docs: Doc[] = [];
  let k = 0;
  for (const ns of DEFAULT_NAMESPACES) {
    docs.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { ns, 'kubernetes.io/metadata.name': ns } } });
  }
  for (const ns of DEFAULT_NAMESPACES) {
    for (const pod of DEFAULT_PODS) {
      const node = nodes.length > 0 ? nodes[k++ % nodes.length] : undefined;
      docs.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: pod, namespace: ns, labels: { pod } },
        spec: {
          ...(node !== undefined ? { nodeName: node } : {}),
          containers: [
            {
              name: 'cont-80-81',
              image: 'registry.k8s.io/e2e-test-images/agnhost:2.53',
              ports: LAB_PORTS.flatMap((port) => (['TCP', 'UDP'] as const).map((protocol) => ({ name: `serve-${port}-${protocol.toLowerCase()}`, containerPort: port, protocol }))),
            },
          ],
        },
      });
    }
  }
  return docs;
}
