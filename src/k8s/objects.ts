// The Kubernetes objects Meridian reads, as the subset of the API shapes it uses, already
// validated: a value of these types is well formed (a NetworkPolicy passed the checks the API
// server's validation makes), so consumers such as the policy compiler never re-check input.
// Optional API fields keep their "absent" meaning (undefined), because NetworkPolicy gives absent
// and empty different meanings in places (policyTypes, a peer's selectors).

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

/** metav1.LabelSelector. Both parts empty selects everything. */
export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly LabelSelectorRequirement[];
}

export interface ObjectMeta {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface Namespace {
  readonly kind: 'Namespace';
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ContainerPort {
  readonly name: string | undefined;
  readonly containerPort: number;
  readonly protocol: Protocol;
}

export interface Pod {
  readonly kind: 'Pod';
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly nodeName: string | undefined;
  readonly hostNetwork: boolean;
  /** status.podIPs (or status.podIP), in the order the API lists them. */
  readonly podIPs: readonly string[];
  /** Every container's ports (init containers' too, as named-port resolution upstream does not use them: left out). */
  readonly ports: readonly ContainerPort[];
  /** status.phase; Succeeded/Failed pods hold no IP that policy should track. */
  readonly phase: string | undefined;
}

export interface NodeAddress {
  readonly type: string;
  readonly address: string;
}

export interface Node {
  readonly kind: 'Node';
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly podCIDRs: readonly string[];
  readonly addresses: readonly NodeAddress[];
}

export interface IPBlock {
  readonly cidr: string;
  readonly except: readonly string[];
}

/** networking.k8s.io/v1 NetworkPolicyPeer: either selectors (one or both) or an ipBlock. */
export interface NetworkPolicyPeer {
  readonly podSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly ipBlock?: IPBlock;
}

export interface NetworkPolicyPort {
  /** Absent means TCP (the API default). */
  readonly protocol: Protocol;
  /** A number, a container port name, or absent (all ports of the protocol). */
  readonly port?: number | string;
  /** Only with a numeric port. */
  readonly endPort?: number;
}

/** An ingress or egress rule; `peers` is `from` or `to`. Absent and empty lists both match all. */
export interface NetworkPolicyRule {
  readonly peers: readonly NetworkPolicyPeer[];
  readonly ports: readonly NetworkPolicyPort[];
}

export type PolicyType = 'Ingress' | 'Egress';

export interface NetworkPolicy {
  readonly kind: 'NetworkPolicy';
  readonly namespace: string;
  readonly name: string;
  readonly podSelector: LabelSelector;
  /** As written; undefined when absent (the compiler infers them as the API server's defaulting does). */
  readonly policyTypes: readonly PolicyType[] | undefined;
  readonly ingress: readonly NetworkPolicyRule[];
  readonly egress: readonly NetworkPolicyRule[];
}

/** Our CRD (cluster-scoped): a BGP peer for all nodes, one node, or nodes matching a selector. */
export interface BgpPeer {
  readonly kind: 'BGPPeer';
  readonly name: string;
  readonly peerIP: string;
  readonly asNumber: number;
  readonly port: number | undefined;
  /** Only this node peers. */
  readonly node: string | undefined;
  /** Only nodes matching this selector peer. */
  readonly nodeSelector: LabelSelector | undefined;
  readonly passive: boolean;
  readonly routeReflectorClient: boolean;
  readonly holdTime: number | undefined;
  readonly gracefulRestart: boolean | { readonly restartTime: number } | undefined;
  /** auto: RFC rules; self: our address on everything sent (iBGP too). */
  readonly nextHopMode: 'auto' | 'self';
  readonly passwordSecretRef: { readonly name: string; readonly key: string } | undefined;
  /** Prefixes accepted from this peer besides the cluster's own ranges (e.g. 0.0.0.0/0 from a ToR). */
  readonly importAllow: readonly string[];
  readonly maxPrefix: { readonly limit: number; readonly action: 'warn' | 'drop' | 'restart' } | undefined;
  /** eBGP TTL (default 1). */
  readonly ebgpMultihop: number | undefined;
  /** GTSM (RFC 5082) hop count. */
  readonly ttlSecurityHops: number | undefined;
}

/** Our CRD (cluster-scoped, conventionally named "default"): cluster-wide BGP settings. */
export interface BgpConfiguration {
  readonly kind: 'BGPConfiguration';
  readonly name: string;
  readonly asNumber: number | undefined;
  readonly nodeToNodeMesh: boolean | undefined;
  readonly listenPort: number | undefined;
  /** Service ClusterIP ranges every node advertises (as the ranges). */
  readonly serviceClusterIPs: readonly string[];
  /** Ranges within which Services' externalIPs are advertised (as /32, /128). */
  readonly serviceExternalIPs: readonly string[];
  /** Ranges within which LoadBalancer ingress IPs are advertised (as /32, /128). */
  readonly serviceLoadBalancerIPs: readonly string[];
  /** Prefixes accepted from every peer besides the cluster's own ranges. */
  readonly importAllow: readonly string[];
}

export interface Service {
  readonly kind: 'Service';
  readonly namespace: string;
  readonly name: string;
  readonly type: string;
  readonly clusterIPs: readonly string[];
  readonly externalIPs: readonly string[];
  readonly loadBalancerIPs: readonly string[];
}

export type KubeObject = Namespace | Pod | Node | NetworkPolicy | BgpPeer | BgpConfiguration | Service;
