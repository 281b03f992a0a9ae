// The pure allocator: table-driven cases, then properties over random ADD/DEL sequences.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocate, EMPTY_STATE, freeCount, releaseAttachment, releaseGone, releaseInvalid, type IpamState } from '../../src/cni/ipam/allocator.js';
import { resolvePools, type Pool } from '../../src/cni/ipam/pools.js';
import { lastAddress, parseCidr, parseIp } from '../../src/cni/ip-addr.js';

const pools = (...subnets: string[]): Pool[] => resolvePools(subnets.map((subnet) => [{ subnet }]), undefined);
const req = (containerId: string, now = 0) => ({ containerId, ifname: 'eth0', netns: `/run/netns/${containerId}`, now });

function mustAllocate(state: IpamState, p: readonly Pool[], id: string): { state: IpamState; ips: string[] } {
  const o = allocate(state, p, req(id));
  if (o.type !== 'allocated') throw new Error(`exhausted for ${id}`);
  return { state: o.state, ips: o.ips.map((a) => a.ip) };
}

describe('allocate', () => {
  it.each([
    // subnet, addresses handed out in order until exhausted
    ['10.0.0.0/29', ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']],
    ['10.0.0.0/30', ['10.0.0.2']],
    ['fd00::/126', ['fd00::2', 'fd00::3']],
  ])('%s hands out %j, never the network, gateway (.1) or broadcast', (subnet, want) => {
    const p = pools(subnet);
    let s = EMPTY_STATE;
    const got: string[] = [];
    for (let i = 0; ; i++) {
      const o = allocate(s, p, req(`c${i}`));
      if (o.type === 'exhausted') break;
      s = o.state;
      got.push(...o.ips.map((a) => a.ip));
    }
    expect(got).toEqual(want);
    expect(freeCount(s, p[0] as Pool)).toBe(0n);
  });

  it('is idempotent per containerID + ifname and gives one address per family', () => {
    const p = pools('10.1.0.0/24', 'fd00:1::/64');
    const a = mustAllocate(EMPTY_STATE, p, 'x');
    expect(a.ips).toEqual(['10.1.0.2', 'fd00:1::2']);
    const again = mustAllocate(a.state, p, 'x');
    expect(again.ips).toEqual(a.ips);
    expect(again.state.allocations).toHaveLength(2);
  });

  it('continues after the last handed-out address instead of reusing a just-released one', () => {
    const p = pools('10.1.0.0/24');
    const a = mustAllocate(EMPTY_STATE, p, 'a');
    const b = mustAllocate(a.state, p, 'b');
    const released = releaseAttachment(b.state, { containerId: 'a', ifname: 'eth0' });
    expect(released.released.map((r) => r.ip)).toEqual(['10.1.0.2']);
    expect(mustAllocate(released.state, p, 'c').ips).toEqual(['10.1.0.4']);
  });

  it('wraps around to free addresses at the start of the range', () => {
    const p = resolvePools([[{ subnet: '10.2.0.0/24', rangeStart: '10.2.0.10', rangeEnd: '10.2.0.12' }]], undefined);
    let s = EMPTY_STATE;
    for (const id of ['a', 'b', 'c']) s = mustAllocate(s, p, id).state;
    s = releaseAttachment(s, { containerId: 'a', ifname: 'eth0' }).state;
    expect(mustAllocate(s, p, 'd').ips).toEqual(['10.2.0.10']);
    expect(allocate(mustAllocate(s, p, 'd').state, p, req('e')).type).toBe('exhausted');
  });

  it('GC keeps only valid attachments; the sweep only releases old, gone ones', () => {
    const p = pools('10.1.0.0/24');
    let s = EMPTY_STATE;
    for (const id of ['a', 'b', 'c']) s = mustAllocate(s, p, id).state;
    const gc = releaseInvalid(s, [{ containerId: 'b', ifname: 'eth0' }]);
    expect(gc.state.allocations.map((x) => x.containerId)).toEqual(['b']);
    const young = releaseGone(s, { now: 1000, graceMs: 60_000, gone: () => true });
    expect(young.released).toEqual([]);
    const old = releaseGone(s, { now: 120_000, graceMs: 60_000, gone: (x) => x.containerId === 'c' });
    expect(old.released.map((x) => x.containerId)).toEqual(['c']);
  });
});

describe('allocator properties', () => {
  const op = fc.oneof(
    fc.record({ type: fc.constant('add' as const), id: fc.integer({ min: 0, max: 40 }) }),
    fc.record({ type: fc.constant('del' as const), id: fc.integer({ min: 0, max: 40 }) }),
  );
  const subnets = fc.constantFrom('10.9.0.0/27', '10.9.0.0/28', '192.168.5.0/29', 'fd00:9::/123');

  it('never gives an address twice, nor the network, gateway or broadcast; stays idempotent', () => {
    fc.assert(
      fc.property(subnets, fc.array(op, { maxLength: 80 }), (subnet, ops) => {
        const p = pools(subnet);
        const cidr = parseCidr(subnet)!;
        let s = EMPTY_STATE;
        for (const o of ops) {
          if (o.type === 'del') {
            s = releaseAttachment(s, { containerId: `c${o.id}`, ifname: 'eth0' }).state;
            continue;
          }
          const before = s.allocations.filter((a) => a.containerId === `c${o.id}`).map((a) => a.ip);
          const r = allocate(s, p, req(`c${o.id}`));
          if (r.type === 'exhausted') {
            expect(before).toEqual([]);
            continue;
          }
          if (before.length > 0) expect(r.ips.map((a) => a.ip)).toEqual(before);
          s = r.state;
        }
        const ips = s.allocations.map((a) => a.ip);
        expect(new Set(ips).size).toBe(ips.length);
        const keys = s.allocations.map((a) => a.containerId);
        expect(new Set(keys).size).toBe(keys.length);
        for (const ip of ips) {
          const v = parseIp(ip)!.value;
          expect(v).not.toBe(cidr.network);
          expect(v).not.toBe(cidr.network + 1n);
          if (cidr.family === 4) expect(v).not.toBe(lastAddress(cidr));
          expect(v > cidr.network && v <= lastAddress(cidr)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
