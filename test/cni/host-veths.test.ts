// Who owns a host veth when two sandboxes of one pod name the same one, and the allocator
// recording (and updating) the name. Table-driven over small states.

import { describe, expect, it } from 'vitest';
import { hostVethOf, mayDeleteVeth, vethOwner } from '../../src/cni/host-veths.js';
import { allocate, EMPTY_STATE, type Allocation, type IpamState } from '../../src/cni/ipam/allocator.js';
import { resolvePools } from '../../src/cni/ipam/pools.js';
import { containerVethName } from '../../src/cni/names.js';

const rec = (containerId: string, at: number, hostVeth?: string): Allocation => ({
  containerId,
  ifname: 'eth0',
  netns: undefined,
  ip: `10.0.0.${at}`,
  at,
  ...(hostVeth !== undefined ? { hostVeth } : {}),
});
const state = (...allocations: Allocation[]): IpamState => ({ allocations, lastReserved: {} });
const eth0 = (containerId: string) => ({ containerId, ifname: 'eth0' });

describe('host veth ownership', () => {
  it('a record without a name (older plugin) names the container-ID veth', () => {
    expect(hostVethOf(rec('c1', 1))).toBe(containerVethName('c1', 'eth0'));
    expect(hostVethOf(rec('c1', 1, 'mrdaaaaaaaaaaaa'))).toBe('mrdaaaaaaaaaaaa');
  });

  it('the newest record naming a veth owns it; the older sandbox may not delete it', () => {
    const s = state(rec('old', 1, 'mrdpod'), rec('new', 2, 'mrdpod'));
    expect(vethOwner(s, 'mrdpod')).toEqual(eth0('new'));
    expect(mayDeleteVeth(s, 'mrdpod', eth0('new'))).toBe(true);
    expect(mayDeleteVeth(s, 'mrdpod', eth0('old'))).toBe(false);
    // Once the new sandbox's record is gone, nobody else claims it.
    expect(mayDeleteVeth(state(rec('old', 1, 'mrdpod')), 'mrdpod', eth0('old'))).toBe(true);
    // No record at all (DEL after release, DEL twice): fine to delete.
    expect(mayDeleteVeth(EMPTY_STATE, 'mrdpod', eth0('old'))).toBe(true);
    expect(vethOwner(s, 'mrdother')).toBeUndefined();
  });
});

describe('allocate records the host veth', () => {
  const pools = resolvePools([[{ subnet: '10.244.1.0/24' }], [{ subnet: 'fd00::/64' }]], undefined);
  const req = { containerId: 'c1', ifname: 'eth0', netns: '/run/netns/p', now: 5 };

  it('on every new record, and brings an older record up to date without changing its address', () => {
    const first = allocate(EMPTY_STATE, pools, { ...req, hostVeth: 'mrdone' });
    if (first.type !== 'allocated') throw new Error('exhausted');
    expect(first.state.allocations.map((a) => a.hostVeth)).toEqual(['mrdone', 'mrdone']);

    // A record of an older version: no hostVeth.
    const legacy: IpamState = { ...first.state, allocations: first.state.allocations.map(({ hostVeth: _h, ...a }) => a) };
    const again = allocate(legacy, pools, { ...req, hostVeth: 'mrdtwo' });
    if (again.type !== 'allocated') throw new Error('exhausted');
    expect(again.ips.map((a) => a.ip)).toEqual(first.ips.map((a) => a.ip));
    expect(again.state.allocations.map((a) => a.hostVeth)).toEqual(['mrdtwo', 'mrdtwo']);
    expect(again.state.allocations.map((a) => a.at)).toEqual([5, 5]);

    // Same name again: the state is returned as it was.
    const same = allocate(again.state, pools, { ...req, hostVeth: 'mrdtwo' });
    expect(same.type === 'allocated' && same.state.allocations).toEqual(again.state.allocations);
  });
});
