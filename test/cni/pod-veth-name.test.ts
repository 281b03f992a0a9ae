// Host veth names from pod identity: the CNI plugin and the policy engine must agree byte for byte,
// since the agent finds a pod's veth from namespace/name alone.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { containerVethName, hostVethName } from '../../src/cni/names.js';
import { podVethName } from '../../src/cni/pod-veth-name.js';
import { defaultHostInterface } from '../../src/policy/names.js';

const pod = { namespace: 'x', name: 'a' };

describe('podVethName', () => {
  it('is "mrd" + 12 hex of sha256("<namespace>.<name>")', () => {
    const hex = createHash('sha256').update('x.a').digest('hex');
    expect(podVethName('x', 'a')).toBe(`mrd${hex.slice(0, 12)}`);
    expect(podVethName('kube-system', 'coredns-5d78c9869d-abcde')).toMatch(/^mrd[0-9a-f]{12}$/);
  });

  it.each([
    ['x', 'a'],
    ['default', 'web-0'],
    ['kube-system', 'coredns-5d78c9869d-abcde'],
    ['a-very-long-namespace-name-of-63-characters-aaaaaaaaaaaaaaaaaaaa', 'pod.with.dots'],
  ])('equals the policy engine\'s defaultHostInterface for %s/%s', (ns, name) => {
    expect(podVethName(ns, name)).toBe(defaultHostInterface(ns, name));
    expect(podVethName(ns, name, { prefix: 'cali' })).toBe(defaultHostInterface(ns, name, 'cali'));
  });
});

describe('hostVethName', () => {
  it('names eth0 of a Kubernetes pod after the pod, whatever its container ID', () => {
    expect(hostVethName({ containerId: 'sandbox-1', ifname: 'eth0', pod })).toBe(podVethName('x', 'a'));
    expect(hostVethName({ containerId: 'sandbox-2', ifname: 'eth0', pod })).toBe(podVethName('x', 'a'));
  });

  it('gives a second interface of the same pod its own name, still from the pod identity', () => {
    const eth1 = hostVethName({ containerId: 's', ifname: 'eth1', pod });
    expect(eth1).toMatch(/^mrd[0-9a-f]{12}$/);
    expect(eth1).not.toBe(podVethName('x', 'a'));
    expect(eth1).not.toBe(hostVethName({ containerId: 's', ifname: 'net1', pod }));
    expect(hostVethName({ containerId: 'other', ifname: 'eth1', pod })).toBe(eth1);
  });

  it('falls back to the container ID + ifname hash without pod identity', () => {
    expect(hostVethName({ containerId: 's', ifname: 'eth0', pod: undefined })).toBe(containerVethName('s', 'eth0'));
    expect(containerVethName('s', 'eth0')).not.toBe(podVethName('x', 'a'));
  });
});
