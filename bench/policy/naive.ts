// The naive rendering the bench compares against: one iptables rule per (allowed peer pod, local
// pod, port), as per-pod-pair implementations did before ipsets (kube-router until it moved to
// ipsets and restore). Only the rule count and the time to render matter here; the semantics are
// those of the real compiler (same selection, same named-port resolution).

import type { NetworkPolicyPeer, Pod } from '../../src/k8s/objects.js';
import { selectingPolicies } from '../../src/policy/compile.js';
import { isActionable, namespaceLabels, type PolicyModel } from '../../src/policy/model.js';
import { selectorMatches } from '../../src/policy/selector.js';

function peerPods(model: PolicyModel, policyNs: string, peer: NetworkPolicyPeer, nsLabels: (ns: string) => Readonly<Record<string, string>>): Pod[] | string[] {
  if (peer.ipBlock !== undefined) return [peer.ipBlock.cidr, ...peer.ipBlock.except.map((e) => `!${e}`)];
  return model.pods.filter(
    (p) =>
      isActionable(p) &&
      (peer.namespaceSelector === undefined ? p.namespace === policyNs : selectorMatches(peer.namespaceSelector, nsLabels(p.namespace))) &&
      (peer.podSelector === undefined || selectorMatches(peer.podSelector, p.labels)),
  );
}

export function renderNaive(model: PolicyModel, node: string): string[] {
  const nsLabels = namespaceLabels(model);
  const all = model.pods.filter(isActionable);
  const lines: string[] = [];
  for (const pod of model.pods.filter((p) => p.nodeName === node && isActionable(p))) {
    const me = pod.podIPs[0] ?? '';
    for (const direction of ['ingress', 'egress'] as const) {
      const chain = `NAIVE-${direction === 'ingress' ? 'TW' : 'FW'}-${pod.namespace}-${pod.name}`;
      for (const pol of selectingPolicies(model, pod, direction)) {
        for (const rule of direction === 'ingress' ? pol.ingress : pol.egress) {
          const peers = rule.peers.length === 0 ? [all] : rule.peers.map((p) => peerPods(model, pol.namespace, p, nsLabels));
          for (const group of peers) {
            for (const peer of group) {
              const peerIp = typeof peer === 'string' ? peer : (peer.podIPs[0] ?? '');
              const dstPod = direction === 'ingress' ? pod : typeof peer === 'string' ? undefined : peer;
              const ports = rule.ports.length === 0 ? [''] : rule.ports.flatMap((pt) => {
                if (typeof pt.port !== 'string') return [`-p ${pt.protocol.toLowerCase()}${pt.port === undefined ? '' : ` --dport ${pt.port}${pt.endPort !== undefined ? `:${pt.endPort}` : ''}`}`];
                const cp = dstPod?.ports.find((c) => c.name === pt.port && c.protocol === pt.protocol);
                return cp === undefined ? [] : [`-p ${pt.protocol.toLowerCase()} --dport ${cp.containerPort}`];
              });
              const [src, dst] = direction === 'ingress' ? [peerIp, me] : [me, peerIp];
              for (const port of ports) lines.push(`-A ${chain} -s ${src} -d ${dst} ${port} -j ACCEPT`);
            }
          }
        }
      }
      lines.push(`-A ${chain} -j DROP`);
    }
  }
  return lines;
}
