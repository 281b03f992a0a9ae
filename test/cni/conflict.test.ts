// What ADD does when `ip link add` finds a name taken (verify.ts classifyConflict), and the
// test-only fault hook's parsing. Pure: observed kernel state as data.

import { describe, expect, it } from 'vitest';
import { faultHook } from '../../src/cni/fault.js';
import { HOST_MAC } from '../../src/cni/names.js';
import { classifyConflict, type Expected, type Observed } from '../../src/cni/verify.js';

const MAC = '0a:11:22:33:44:55';
const exp: Expected = { ifname: 'eth0', hostVeth: 'mrdaaaaaaaaaaaa', podMac: MAC, ips: [{ family: 4, ip: '10.244.1.5' }] };
const host = { ifindex: 7, ifname: 'mrdaaaaaaaaaaaa', address: HOST_MAC, flags: ['UP'], linkinfo: { info_kind: 'veth' } };
const pod = {
  ifindex: 2,
  link_index: 7,
  ifname: 'eth0',
  address: MAC,
  flags: ['UP'],
  linkinfo: { info_kind: 'veth' },
  addr_info: [{ family: 'inet', local: '10.244.1.5', prefixlen: 32 }],
};
const complete: Observed = {
  hostLink: host,
  hostRoutes: [[{ dst: '10.244.1.5', dev: 'mrdaaaaaaaaaaaa' }]],
  proxyArp: '1',
  podLink: pod,
  podRoutes4: [
    { dst: '169.254.1.1', dev: 'eth0', scope: 'link' },
    { dst: 'default', gateway: '169.254.1.1', dev: 'eth0' },
  ],
  podRoutes6: [],
  reserved: ['10.244.1.5'],
};

describe('ADD finding a name taken', () => {
  it('replaces a stale host veth when the pod has no CNI_IFNAME', () => {
    expect(classifyConflict(exp, { ...complete, podLink: undefined }, false)).toBe('stale-host-veth');
    expect(classifyConflict(exp, { ...complete, podLink: undefined, hostLink: undefined }, false)).toBe('none');
  });

  it('answers a repeated ADD of the same attachment: as is when complete, rewired when half done', () => {
    expect(classifyConflict(exp, complete, true)).toBe('retry-complete');
    // Killed after the host side: the pod end exists, bare.
    const bare = { ...complete, podLink: { ...pod, flags: [], addr_info: [] }, podRoutes4: [] };
    expect(classifyConflict(exp, bare, true)).toBe('retry-partial');
  });

  it("refuses anyone else's CNI_IFNAME", () => {
    // No earlier ADD of this attachment: another container's interface, even if it looks like ours.
    expect(classifyConflict(exp, complete, false)).toBe('foreign');
    // Another attachment's MAC (another container ID behind the same pod veth name).
    expect(classifyConflict(exp, { ...complete, podLink: { ...pod, address: '0a:99:99:99:99:99' } }, true)).toBe('foreign');
    // Not the peer of our host veth (or no host veth at all).
    expect(classifyConflict(exp, { ...complete, podLink: { ...pod, link_index: 9 } }, true)).toBe('foreign');
    expect(classifyConflict(exp, { ...complete, hostLink: undefined }, true)).toBe('foreign');
  });
});

describe('fault hook', () => {
  it('is off unless set, fires only at its point, and refuses unknown points', () => {
    const hits: string[] = [];
    expect(faultHook(undefined, () => hits.push('x'))).toBeUndefined();
    expect(faultHook('', () => hits.push('x'))).toBeUndefined();
    const hook = faultHook('after-host-wiring', () => hits.push('killed'));
    hook?.('after-alloc');
    expect(hits).toEqual([]);
    hook?.('after-host-wiring');
    expect(hits).toEqual(['killed']);
    expect(() => faultHook('after-aloc', () => undefined)).toThrow(expect.objectContaining({ cniCode: 4, message: expect.stringMatching(/after-aloc/) }));
  });
});
