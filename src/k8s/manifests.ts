// A directory of manifests as the "files" datastore: YAML (multi-document) or JSON text in, typed
// objects out. Pure: manifests-dir.ts reads the files. A bad document is reported with where it
// came from and why, and skipped (a NetworkPolicy: used fail-closed, see networkPolicy); every
// other document still loads, so one broken NetworkPolicy never takes the rest of the cluster's
// policy down with it. The checks on NetworkPolicy are the
// API server's validation (pkg/apis/networking/validation), so what loads here is what a cluster
// would have accepted.

import { parseAllDocuments } from 'yaml';
import { Invalid, isObj, labels, list, obj, optStr, port, protocol, selector, str, type Obj } from './decode.js';
import { bgpConfiguration, bgpPeer, service } from './routing-objects.js';
import { decodeSecret, type Secret } from './secret.js';
import { parseCidr, cidrCovers, canonicalIp } from '../policy/cidr.js';
import type {
  ContainerPort,
  KubeObject,
  Namespace,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  NetworkPolicyRule,
  Node,
  Pod,
  PolicyType,
} from './objects.js';

export interface ManifestProblem {
  /** File (or other source) name and the document's index in it, from 0. */
  readonly source: string;
  readonly index: number;
  readonly kind: string | undefined;
  readonly name: string | undefined;
  readonly reason: string;
  /** The object was still used, in part (a NetworkPolicy used fail-closed), not skipped. */
  readonly used?: true;
}

export interface ParsedManifests {
  readonly objects: KubeObject[];
  readonly problems: ManifestProblem[];
  /**
   * `kind: Secret` documents, apart from the objects: only BGPPeer passwords read them
   * (src/k8s/secrets.ts), and their values must stay out of the view, its digests and its status.
   */
  readonly secrets: Secret[];
}

/** Kinds this datastore knows but nothing reads; skipped without a problem. */
const IGNORED_KINDS = new Set(['ConfigMap', 'Endpoints', 'EndpointSlice']);

// IPv4 with a leading zero in an octet ("010.0.0.0/8"): the API server still accepts it for
// compatibility (with a warning; KEP-4858), but tools disagree whether 010 is 10 or octal 8
// (CVE-2021-29923). We refuse to guess which addresses a policy means: the policy is skipped and
// reported instead.
const AMBIGUOUS_V4 = /(^|[.:])0\d/;

function unambiguous(text: string, path: string): void {
  const addr = text.split('/')[0] ?? '';
  if (!addr.includes(':') && AMBIGUOUS_V4.test(addr)) throw new Invalid(`${path}: ${JSON.stringify(text)} has an octet with a leading zero (ambiguous: decimal or octal)`);
}

function ipBlock(v: Obj, path: string): NetworkPolicyPeer['ipBlock'] {
  const cidrText = str(v['cidr'], `${path}.cidr`);
  unambiguous(cidrText, `${path}.cidr`);
  const cidr = parseCidr(cidrText);
  if (cidr === undefined || !cidrText.includes('/')) throw new Invalid(`${path}.cidr: ${JSON.stringify(cidrText)} is not a CIDR`);
  const except = list(v['except'], `${path}.except`).map((e, i) => {
    const t = str(e, `${path}.except[${i}]`);
    unambiguous(t, `${path}.except[${i}]`);
    const c = parseCidr(t);
    if (c === undefined || !t.includes('/')) throw new Invalid(`${path}.except[${i}]: ${JSON.stringify(t)} is not a CIDR`);
    // API validation: every except lies strictly inside cidr (same family, longer prefix).
    if (!cidrCovers(cidr, c) || c.prefix <= cidr.prefix) throw new Invalid(`${path}.except[${i}]: ${t} must be strictly within ${cidrText}`);
    return t;
  });
  return { cidr: cidrText, except };
}

function peer(v: unknown, path: string): NetworkPolicyPeer {
  const o = obj(v, path) as Obj;
  const hasPod = o['podSelector'] !== undefined && o['podSelector'] !== null;
  const hasNs = o['namespaceSelector'] !== undefined && o['namespaceSelector'] !== null;
  const block = obj(o['ipBlock'], `${path}.ipBlock`, true);
  if (block !== undefined) {
    if (hasPod || hasNs) throw new Invalid(`${path}: ipBlock may not be combined with podSelector or namespaceSelector`);
    return { ipBlock: ipBlock(block, `${path}.ipBlock`) };
  }
  if (!hasPod && !hasNs) throw new Invalid(`${path}: must set podSelector, namespaceSelector or ipBlock`);
  return {
    ...(hasPod ? { podSelector: selector(o['podSelector'], `${path}.podSelector`) } : {}),
    ...(hasNs ? { namespaceSelector: selector(o['namespaceSelector'], `${path}.namespaceSelector`) } : {}),
  };
}

const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function policyPort(v: unknown, path: string): NetworkPolicyPort {
  const o = obj(v, path) as Obj;
  const proto = protocol(o['protocol'], `${path}.protocol`);
  const raw = o['port'];
  const endRaw = o['endPort'];
  if (raw === undefined || raw === null) {
    if (endRaw !== undefined && endRaw !== null) throw new Invalid(`${path}.endPort: requires a numeric port`);
    return { protocol: proto };
  }
  if (typeof raw === 'string') {
    if (/^\d+$/.test(raw)) return numeric(Number(raw));
    if (raw.length > 15 || !PORT_NAME.test(raw) || !/[a-z]/.test(raw)) throw new Invalid(`${path}.port: ${JSON.stringify(raw)} is not a valid port name`);
    if (endRaw !== undefined && endRaw !== null) throw new Invalid(`${path}.endPort: may not be used with a named port`);
    return { protocol: proto, port: raw };
  }
  return numeric(raw);

  function numeric(n: unknown): NetworkPolicyPort {
    const p = port(n, `${path}.port`);
    if (endRaw === undefined || endRaw === null) return { protocol: proto, port: p };
    const e = port(endRaw, `${path}.endPort`);
    if (e < p) throw new Invalid(`${path}.endPort: must be >= port (${p})`);
    return { protocol: proto, port: p, endPort: e };
  }
}

function rule(v: unknown, path: string, peersKey: 'from' | 'to'): NetworkPolicyRule {
  const o = obj(v, path, true) ?? {};
  return {
    peers: list(o[peersKey], `${path}.${peersKey}`).map((p, i) => peer(p, `${path}.${peersKey}[${i}]`)),
    ports: list(o['ports'], `${path}.ports`).map((p, i) => policyPort(p, `${path}.ports[${i}]`)),
  };
}

export function meta(doc: Obj, namespaced: boolean): { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> } {
  const m = obj(doc['metadata'], 'metadata') as Obj;
  const name = str(m['name'], 'metadata.name');
  const namespace = namespaced ? (optStr(m['namespace'], 'metadata.namespace') ?? 'default') : '';
  return { name, namespace, labels: labels(m['labels'], 'metadata.labels'), annotations: labels(m['annotations'], 'metadata.annotations') };
}

/**
 * A NetworkPolicy, used as far as it can be. Fail closed, as Calico does: a rule that cannot be
 * used is dropped whole (dropping one of its peers or ports would widen it), never the policy,
 * so the pods it selects stay isolated and only what that rule would have allowed is denied. A
 * podSelector that cannot be read isolates every pod of the namespace and drops every rule;
 * policyTypes that cannot be read isolate both directions. Each part given up is reported through
 * `degraded`.
 */
function networkPolicy(doc: Obj, degraded: (reason: string) => void): NetworkPolicy {
  const m = meta(doc, true);
  const given: string[] = [];
  const attempt = <T>(read: () => T, instead: T, what: string): T => {
    try {
      return read();
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      given.push(`${e.message} (${what})`);
      return instead;
    }
  };
  const spec = attempt(() => obj(doc['spec'], 'spec', true) ?? {}, { policyTypes: ['Ingress', 'Egress'] } as Obj, 'every pod of the namespace isolated both ways instead');
  // The API server defaults an absent podSelector to {} (every pod of the namespace).
  const unreadable = given.length;
  const podSelector = attempt(() => selector(spec['podSelector'] ?? {}, 'spec.podSelector'), { matchLabels: {}, matchExpressions: [] }, 'every pod of the namespace isolated, and every rule dropped');
  // The rules were written for the pods the selector meant: applied to every pod of the namespace
  // they would open those pods (allows add up), so only the isolation is kept.
  const selectorLost = given.length > unreadable;
  let policyTypes = attempt(() => readPolicyTypes(spec['policyTypes']), ['Ingress', 'Egress'] as PolicyType[], 'both directions isolated instead');
  const rules = (key: 'ingress' | 'egress', peersKey: 'from' | 'to'): NetworkPolicyRule[] => {
    const raw = attempt(() => list(spec[key], `spec.${key}`), [], `every ${key} rule dropped`);
    return raw.flatMap((r, i) => attempt(() => [rule(r, `spec.${key}[${i}]`, peersKey)], [], 'rule dropped'));
  };
  const ingress = selectorLost ? [] : rules('ingress', 'from');
  const egress = selectorLost ? [] : rules('egress', 'to');
  if (given.length > 0 && policyTypes === undefined) {
    // Inferred types come from the rules as written: a dropped egress rule must still isolate egress.
    const hasEgress = spec['egress'] !== undefined && spec['egress'] !== null && !(Array.isArray(spec['egress']) && spec['egress'].length === 0);
    policyTypes = hasEgress ? ['Ingress', 'Egress'] : ['Ingress'];
  }
  if (given.length > 0) degraded(`used fail-closed: ${given.join('; ')}`);
  return { kind: 'NetworkPolicy', namespace: m.namespace, name: m.name, podSelector, policyTypes, ingress, egress };
}

function readPolicyTypes(v: unknown): PolicyType[] | undefined {
  if (v === undefined || v === null) return undefined;
  const types = list(v, 'spec.policyTypes').map((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') throw new Invalid(`spec.policyTypes[${i}]: must be Ingress or Egress`);
    return t;
  });
  return types.length === 0 ? undefined : types;
}

function pod(doc: Obj): Pod {
  const m = meta(doc, true);
  const spec = obj(doc['spec'], 'spec', true) ?? {};
  const status = obj(doc['status'], 'status', true) ?? {};
  const ports: ContainerPort[] = [];
  for (const [ci, c] of list(spec['containers'], 'spec.containers').entries()) {
    const co = obj(c, `spec.containers[${ci}]`) as Obj;
    for (const [pi, p] of list(co['ports'], `spec.containers[${ci}].ports`).entries()) {
      const path = `spec.containers[${ci}].ports[${pi}]`;
      const po = obj(p, path) as Obj;
      ports.push({
        name: optStr(po['name'], `${path}.name`),
        containerPort: port(po['containerPort'], `${path}.containerPort`),
        protocol: protocol(po['protocol'], `${path}.protocol`),
      });
    }
  }
  const ips: string[] = [];
  for (const [i, e] of list(status['podIPs'], 'status.podIPs').entries()) {
    const ip = str(obj(e, `status.podIPs[${i}]`)?.['ip'], `status.podIPs[${i}].ip`);
    ips.push(ip);
  }
  const single = optStr(status['podIP'], 'status.podIP');
  if (single !== undefined && !ips.includes(single)) ips.unshift(single);
  const podIPs = ips.map((ip, i) => {
    const c = canonicalIp(ip);
    if (c === undefined) throw new Invalid(`status.podIPs[${i}]: ${JSON.stringify(ip)} is not an IP address`);
    return c;
  });
  const hostNetwork = spec['hostNetwork'];
  if (hostNetwork !== undefined && typeof hostNetwork !== 'boolean') throw new Invalid('spec.hostNetwork: must be a boolean');
  return {
    kind: 'Pod',
    ...m,
    nodeName: optStr(spec['nodeName'], 'spec.nodeName'),
    hostNetwork: hostNetwork === true,
    podIPs: [...new Set(podIPs)],
    ports,
    phase: optStr(status['phase'], 'status.phase'),
  };
}

function namespace(doc: Obj): Namespace {
  const m = meta(doc, false);
  // The API server stamps this label on every namespace (since 1.21); policies select by it.
  return { kind: 'Namespace', name: m.name, labels: { ...m.labels, 'kubernetes.io/metadata.name': m.name } };
}

function node(doc: Obj): Node {
  const m = meta(doc, false);
  const spec = obj(doc['spec'], 'spec', true) ?? {};
  const status = obj(doc['status'], 'status', true) ?? {};
  const podCIDRs = list(spec['podCIDRs'], 'spec.podCIDRs').map((c, i) => str(c, `spec.podCIDRs[${i}]`));
  const single = optStr(spec['podCIDR'], 'spec.podCIDR');
  if (single !== undefined && !podCIDRs.includes(single)) podCIDRs.unshift(single);
  const addresses = list(status['addresses'], 'status.addresses').map((a, i) => {
    const o = obj(a, `status.addresses[${i}]`) as Obj;
    return { type: str(o['type'], `status.addresses[${i}].type`), address: str(o['address'], `status.addresses[${i}].address`) };
  });
  return { kind: 'Node', name: m.name, labels: m.labels, annotations: m.annotations, podCIDRs, addresses };
}

/** One document (or a `kind: List`'s items) to objects (and Secrets); throws Invalid. */
type Report = (kind: string | undefined, name: string | undefined, reason: string, used?: true) => void;

function decode(doc: unknown, out: KubeObject[], report: Report, secrets: Secret[] = []): void {
  if (doc === null || doc === undefined) return; // an empty document between two `---`
  if (!isObj(doc)) throw new Invalid('a document must be an object');
  const kind = typeof doc['kind'] === 'string' ? doc['kind'] : undefined;
  const name = isObj(doc['metadata']) && typeof doc['metadata']['name'] === 'string' ? doc['metadata']['name'] : undefined;
  try {
    switch (kind) {
      case 'List':
      case 'NamespaceList':
      case 'PodList':
      case 'NetworkPolicyList':
      case 'NodeList':
      case 'ServiceList':
      case 'BGPPeerList':
      case 'BGPConfigurationList':
      case 'SecretList':
        for (const item of list(doc['items'], 'items')) decode(item, out, report, secrets);
        return;
      case 'Secret':
        secrets.push(decodeSecret(doc));
        return;
      case 'Namespace':
        out.push(namespace(doc));
        return;
      case 'Pod':
        out.push(pod(doc));
        return;
      case 'Node':
        out.push(node(doc));
        return;
      case 'NetworkPolicy':
        if (doc['apiVersion'] !== undefined && doc['apiVersion'] !== 'networking.k8s.io/v1') {
          throw new Invalid(`apiVersion ${JSON.stringify(doc['apiVersion'])}: only networking.k8s.io/v1 is supported`);
        }
        out.push(networkPolicy(doc, (reason) => report(kind, name, reason, true)));
        return;
      case 'BGPPeer':
        out.push(bgpPeer(doc, meta(doc, false).name));
        return;
      case 'BGPConfiguration':
        out.push(bgpConfiguration(doc, meta(doc, false).name));
        return;
      case 'Service': {
        const m = meta(doc, true);
        out.push(service(doc, m.namespace, m.name));
        return;
      }
      default:
        if (kind !== undefined && IGNORED_KINDS.has(kind)) return;
        throw new Invalid(kind === undefined ? 'kind: required' : `kind ${kind}: not supported`);
    }
  } catch (e) {
    if (e instanceof Invalid) report(kind, name, e.message);
    else throw e;
  }
}

/** Parse one file's text. JSON is YAML, so one parser reads both. */
export function parseManifests(text: string, source: string): ParsedManifests {
  const objects: KubeObject[] = [];
  const problems: ManifestProblem[] = [];
  const secrets: Secret[] = [];
  const docs = parseAllDocuments(text);
  const all = Array.isArray(docs) ? docs : [docs];
  for (const [index, d] of all.entries()) {
    const report: Report = (kind, name, reason, used) => {
      problems.push({ source, index, kind, name, reason, ...(used ? { used } : {}) });
    };
    if (d.errors.length > 0) {
      report(undefined, undefined, `not valid YAML/JSON: ${d.errors[0]?.message.split('\n')[0] ?? 'parse error'}`);
      continue;
    }
    try {
      decode(d.toJS(), objects, report, secrets);
    } catch (e) {
      if (e instanceof Invalid) report(undefined, undefined, e.message);
      else throw e;
    }
  }
  return { objects, problems, secrets };
}

/** Later definitions of the same object replace earlier ones (as an apply would). */
export function dedupe(objects: readonly KubeObject[]): KubeObject[] {
  const byKey = new Map<string, KubeObject>();
  for (const o of objects) {
    const ns = o.kind === 'Pod' || o.kind === 'NetworkPolicy' || o.kind === 'Service' ? o.namespace : '';
    byKey.set(`${o.kind}/${ns}/${o.name}`, o);
  }
  return [...byKey.values()];
}

/**
 * One object as the API server returns it (a list item or a watch event's object) through the same
 * decoders as a manifest, so both datastores accept and reject exactly the same things. List items
 * carry no kind, so the caller names it. Returns the object, nothing (a kind nothing reads), or why
 * it cannot be used. An object used only in part (a NetworkPolicy with a rule dropped, fail closed)
 * comes with `degraded`, the reason to report.
 */
export function decodeApiObject(doc: unknown, kind: string, apiVersion: string): { object: KubeObject; degraded?: string } | { reason: string } | undefined {
  if (!isObj(doc)) return { reason: 'not an object' };
  const out: KubeObject[] = [];
  let reason: string | undefined;
  try {
    decode({ ...doc, kind, apiVersion }, out, (_k, _n, r) => {
      reason = r;
    });
  } catch (e) {
    if (e instanceof Invalid) reason = e.message;
    else throw e;
  }
  const object = out[0];
  if (object !== undefined) return reason === undefined ? { object } : { object, degraded: reason };
  return reason === undefined ? undefined : { reason };
}
