// Decoding of the objects routing reads: our CRDs BGPPeer and BGPConfiguration (API group
// meridian.io, version v1, both cluster-scoped) and Services (for advertising service IPs). The
// same checks as the CRDs' OpenAPI schemas, so the files datastore accepts what the API server
// would. Pure; throws Invalid naming the field.

import { isIP } from 'node:net';
import { isCanonicalCidr } from '../ip/address.js';
import { Invalid, list, obj, optStr, port, selector, str, type Obj } from './decode.js';
import type { BgpConfiguration, BgpPeer, Service } from './objects.js';

export const CRD_GROUP = 'meridian.io';
export const CRD_API_VERSION = `${CRD_GROUP}/v1`;

function checkApiVersion(doc: Obj): void {
  const v = doc['apiVersion'];
  if (v !== undefined && v !== CRD_API_VERSION) throw new Invalid(`apiVersion ${JSON.stringify(v)}: must be ${CRD_API_VERSION}`);
}

function ip(v: unknown, path: string): string {
  const s = str(v, path);
  if (isIP(s) === 0) throw new Invalid(`${path}: ${JSON.stringify(s)} is not an IP address`);
  return s;
}

function cidr(v: unknown, path: string): string {
  const s = str(v, path);
  if (!isCanonicalCidr(s)) throw new Invalid(`${path}: ${JSON.stringify(s)} is not a CIDR without host bits`);
  return s;
}

function asn(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 4294967295) throw new Invalid(`${path}: must be an AS number 1-4294967295`);
  return v;
}

function optBool(v: unknown, path: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new Invalid(`${path}: must be true or false`);
  return v;
}

function optInt(v: unknown, path: string, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new Invalid(`${path}: must be an integer ${min}-${max}`);
  return v;
}

function cidrs(v: unknown, path: string): string[] {
  return list(v, path).map((c, i) => {
    // Calico's shape is [{cidr: ...}]; a plain string is accepted too.
    const o = typeof c === 'string' ? c : (obj(c, `${path}[${i}]`) as Obj)['cidr'];
    return cidr(o, `${path}[${i}]${typeof c === 'string' ? '' : '.cidr'}`);
  });
}

export function bgpPeer(doc: Obj, name: string): BgpPeer {
  checkApiVersion(doc);
  const spec = obj(doc['spec'], 'spec') as Obj;
  const node = optStr(spec['node'], 'spec.node');
  const nodeSelector = spec['nodeSelector'] === undefined || spec['nodeSelector'] === null ? undefined : selector(spec['nodeSelector'], 'spec.nodeSelector');
  if (node !== undefined && nodeSelector !== undefined) throw new Invalid('spec: node and nodeSelector are mutually exclusive');
  const hold = optInt(spec['holdTime'], 'spec.holdTime', 0, 65535);
  if (hold !== undefined && hold > 0 && hold < 3) throw new Invalid('spec.holdTime: must be 0 or at least 3 (RFC 4271 4.2)');
  const grRaw = spec['gracefulRestart'];
  let gracefulRestart: BgpPeer['gracefulRestart'];
  if (typeof grRaw === 'boolean') gracefulRestart = grRaw;
  else if (grRaw !== undefined && grRaw !== null) {
    const t = optInt((obj(grRaw, 'spec.gracefulRestart') as Obj)['restartTime'], 'spec.gracefulRestart.restartTime', 1, 4095);
    if (t === undefined) throw new Invalid('spec.gracefulRestart.restartTime: required');
    gracefulRestart = { restartTime: t };
  }
  // No "keep" (Calico has one): a BGPPeer on eBGP is sent only routes this node originates, whose
  // next hop can only be ours, and on iBGP auto already keeps a learned next hop; so keep would
  // change nothing, and accepting it would promise what never happens.
  const mode = spec['nextHopMode'] ?? 'auto';
  if (mode !== 'auto' && mode !== 'self') throw new Invalid('spec.nextHopMode: must be auto or self');
  const pw = obj(spec['passwordSecretRef'], 'spec.passwordSecretRef', true);
  const mp = obj(spec['maxPrefix'], 'spec.maxPrefix', true);
  let maxPrefix: BgpPeer['maxPrefix'];
  if (mp !== undefined) {
    const limit = optInt(mp['limit'], 'spec.maxPrefix.limit', 1, 0xffffffff);
    const action = mp['action'] ?? 'drop';
    if (limit === undefined) throw new Invalid('spec.maxPrefix.limit: required');
    if (action !== 'warn' && action !== 'drop' && action !== 'restart') throw new Invalid('spec.maxPrefix.action: must be warn, drop or restart');
    maxPrefix = { limit, action };
  }
  return {
    kind: 'BGPPeer',
    name,
    peerIP: ip(spec['peerIP'], 'spec.peerIP'),
    asNumber: asn(spec['asNumber'], 'spec.asNumber'),
    port: spec['port'] === undefined ? undefined : port(spec['port'], 'spec.port'),
    node,
    nodeSelector,
    passive: optBool(spec['passive'], 'spec.passive') ?? false,
    routeReflectorClient: optBool(spec['routeReflectorClient'], 'spec.routeReflectorClient') ?? false,
    holdTime: hold,
    gracefulRestart,
    nextHopMode: mode,
    passwordSecretRef: pw === undefined ? undefined : { name: str(pw['name'], 'spec.passwordSecretRef.name'), key: str(pw['key'], 'spec.passwordSecretRef.key') },
    importAllow: cidrs(spec['importAllow'], 'spec.importAllow'),
    maxPrefix,
    ebgpMultihop: optInt(spec['ebgpMultihop'], 'spec.ebgpMultihop', 1, 255),
    ttlSecurityHops: optInt((obj(spec['ttlSecurity'], 'spec.ttlSecurity', true) ?? {})['hops'], 'spec.ttlSecurity.hops', 1, 254),
  };
}

export function bgpConfiguration(doc: Obj, name: string): BgpConfiguration {
  checkApiVersion(doc);
  const spec = obj(doc['spec'], 'spec', true) ?? {};
  return {
    kind: 'BGPConfiguration',
    name,
    asNumber: spec['asNumber'] === undefined ? undefined : asn(spec['asNumber'], 'spec.asNumber'),
    nodeToNodeMesh: optBool(spec['nodeToNodeMesh'], 'spec.nodeToNodeMesh'),
    listenPort: spec['listenPort'] === undefined ? undefined : port(spec['listenPort'], 'spec.listenPort'),
    serviceClusterIPs: cidrs(spec['serviceClusterIPs'], 'spec.serviceClusterIPs'),
    serviceExternalIPs: cidrs(spec['serviceExternalIPs'], 'spec.serviceExternalIPs'),
    serviceLoadBalancerIPs: cidrs(spec['serviceLoadBalancerIPs'], 'spec.serviceLoadBalancerIPs'),
    importAllow: cidrs(spec['importAllow'], 'spec.importAllow'),
  };
}

export function service(doc: Obj, namespace: string, name: string): Service {
  const spec = obj(doc['spec'], 'spec', true) ?? {};
  const status = obj(doc['status'], 'status', true) ?? {};
  const lb = obj(status['loadBalancer'], 'status.loadBalancer', true) ?? {};
  const ips = (v: unknown, path: string) => list(v, path).map((x, i) => ip(x, `${path}[${i}]`));
  // A headless Service has clusterIP "None", and the API server mirrors it as clusterIPs ["None"].
  const headless = (v: unknown) => v === 'None' || v === '';
  const clusterIP = spec['clusterIP'];
  const clusterIPs =
    spec['clusterIPs'] !== undefined && spec['clusterIPs'] !== null
      ? list(spec['clusterIPs'], 'spec.clusterIPs').flatMap((x, i) => (headless(x) ? [] : [ip(x, `spec.clusterIPs[${i}]`)]))
      : typeof clusterIP === 'string' && !headless(clusterIP)
        ? [ip(clusterIP, 'spec.clusterIP')]
        : [];
  return {
    kind: 'Service',
    namespace,
    name,
    type: optStr(spec['type'], 'spec.type') ?? 'ClusterIP',
    clusterIPs,
    externalIPs: ips(spec['externalIPs'], 'spec.externalIPs'),
    loadBalancerIPs: list(lb['ingress'], 'status.loadBalancer.ingress').flatMap((x, i) => {
      const o = obj(x, `status.loadBalancer.ingress[${i}]`) as Obj;
      return o['ip'] === undefined ? [] : [ip(o['ip'], `status.loadBalancer.ingress[${i}].ip`)];
    }),
  };
}
