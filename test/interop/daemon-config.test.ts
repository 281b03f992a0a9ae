// Config renderers of the real-daemon harness: golden text for a ToR-like eBGP speaker and a route
// reflector per daemon (reviewed by eye when it changes; UPDATE_GOLDEN=1 rewrites), and each
// rendered config is accepted by the daemon's own checker (bird -p, bgpd -C, gobgpd --dry-run).

import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderBirdConfig, renderBirdStatic } from '../../src/lab/routers/bird-config.js';
import { frrRouteMapName, renderBgpdConfig, renderFrrAnnounce } from '../../src/lab/routers/frr-config.js';
import { gobgpAddArgs, renderGobgpConfig } from '../../src/lab/routers/gobgp-config.js';
import { renderMrt } from '../harness/bgp-daemons/gobgp-mrt.js';
import { prefixRange } from '../harness/bgp-daemons/prefixes.js';
import { validateOptions } from '../../src/lab/routers/common.js';
import type { DaemonOptions } from '../harness/bgp-daemons/types.js';
import { torConfig } from '../../src/lab/routers/router.js';

const GOLDEN = new URL('fixtures/bgp-daemons/golden/', import.meta.url);
const ns = { name: 'unused', role: 'tor' };
const DIR = '/run/meridian-test/state';

/** A ToR: eBGP to two nodes (one IPv6), every neighbor knob that renders differently. */
const tor: DaemonOptions = {
  ns,
  routerId: '10.0.0.1',
  asn: 65001,
  ipv6: true,
  kernel: true,
  holdTime: 9,
  listenPort: 1179,
  neighbors: [
    { address: '10.0.0.2', asn: 4200000002, passive: true, gracefulRestart: true, nextHopSelf: true, password: 'tor-s3cret!' },
    { address: 'fd00::2', asn: 4200000002, holdTime: 30, port: 1790, localAddress: 'fd00::1' },
  ],
};

/** A route reflector with two iBGP clients and one eBGP uplink, RFC 8212 kept. */
const rr: DaemonOptions = {
  ns,
  routerId: '10.0.0.1',
  asn: 65000,
  routeReflector: { clusterId: '10.0.0.100' },
  strictPolicy: true,
  neighbors: [
    { address: '10.0.0.2', asn: 65000, rrClient: true },
    { address: '10.0.0.3', asn: 65000, rrClient: true, passive: true },
    { address: '10.0.0.9', asn: 65009 },
  ],
};

function golden(name: string, text: string): void {
  const f = new URL(name, GOLDEN);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(f, text);
  expect(text).toBe(readFileSync(f, 'utf8'));
}

function withTmp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-cfg-'));
  chmodSync(dir, 0o755);
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const run = (argv: string[]): string => execFileSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('bgp-daemons config renderers', () => {
  for (const [name, opts] of [['tor', tor], ['rr', rr]] as const) {
    it(`BIRD ${name}: golden, and bird -p accepts it`, () => {
      validateOptions(opts);
      golden(`bird-${name}.conf`, renderBirdConfig(opts, DIR));
      withTmp((dir) => {
        for (const f of [4, 6]) writeFileSync(`${dir}/announce${f}.conf`, renderBirdStatic(f === 4 ? ['10.9.0.0/24'] : ['fd09::/64'], { med: 5, communities: ['65001:7'] }));
        writeFileSync(`${dir}/bird.conf`, renderBirdConfig(opts, dir));
        run(['bird', '-p', '-c', `${dir}/bird.conf`]);
      });
    });

    it(`FRR ${name}: golden, and bgpd -C accepts it`, () => {
      golden(`frr-${name}.conf`, renderBgpdConfig(opts, name));
      withTmp((dir) => {
        writeFileSync(`${dir}/bgpd.conf`, renderBgpdConfig(opts, name));
        const uid = Number(run(['id', '-u', 'frr']).trim());
        chownSync(dir, uid, Number(run(['id', '-g', 'frr']).trim()));
        // -C reads and checks the config, then exits; the vty socket dir keeps it out of /run/frr.
        run(['/usr/lib/frr/bgpd', '-C', '-Z', '-f', `${dir}/bgpd.conf`, '--vty_socket', dir, '-P', '0', '-i', `${dir}/bgpd.pid`]);
      });
    });

    it(`GoBGP ${name}: golden, and gobgpd --dry-run accepts it`, () => {
      golden(`gobgp-${name}.toml`, renderGobgpConfig(opts));
      withTmp((dir) => {
        writeFileSync(`${dir}/gobgpd.toml`, renderGobgpConfig(opts));
        run(['gobgpd', '--dry-run', '-f', `${dir}/gobgpd.toml`, '-t', 'toml']);
      });
    });
  }

  // The lab's ToR (src/lab/routers/router.ts): multihop from a loopback and ECMP, per daemon.
  it('the lab ToR renders multihop and multipath for each daemon, and each checker accepts it', () => {
    const lab = torConfig({ routerId: '172.16.0.1', asn: 65000, loopback: { 4: '172.16.0.1', 6: 'fd00:16::1' }, nodes: [{ address: '172.16.1.2', asn: 64601 }, { address: 'fd00:16:1::2', asn: 64601 }] });
    const opts: DaemonOptions = { ...lab, ns };
    golden('bird-lab-tor.conf', renderBirdConfig(opts, DIR));
    golden('frr-lab-tor.conf', renderBgpdConfig(opts, 'tor'));
    golden('gobgp-lab-tor.toml', renderGobgpConfig(opts));
    withTmp((dir) => {
      for (const f of [4, 6]) writeFileSync(`${dir}/announce${f}.conf`, '');
      writeFileSync(`${dir}/bird.conf`, renderBirdConfig(opts, dir));
      run(['bird', '-p', '-c', `${dir}/bird.conf`]);
      writeFileSync(`${dir}/gobgpd.toml`, renderGobgpConfig(opts));
      run(['gobgpd', '--dry-run', '-f', `${dir}/gobgpd.toml`, '-t', 'toml']);
      writeFileSync(`${dir}/bgpd.conf`, renderBgpdConfig(opts, 'tor'));
      chownSync(dir, Number(run(['id', '-u', 'frr']).trim()), Number(run(['id', '-g', 'frr']).trim()));
      run(['/usr/lib/frr/bgpd', '-C', '-Z', '-f', `${dir}/bgpd.conf`, '--vty_socket', dir, '-P', '0', '-i', `${dir}/bgpd.pid`]);
    });
  });

  it('rejects options that would silently render something else', () => {
    expect(() => validateOptions({ ...tor, ipv6: false })).toThrow(/needs ipv6: true/);
    expect(() => validateOptions({ ...tor, neighbors: [{ address: '10.0.0.2', asn: 65001, rrClient: true }] })).toThrow(/needs routeReflector/);
    expect(() => validateOptions({ ...rr, neighbors: [{ address: '10.0.0.9', asn: 65009, rrClient: true }] })).toThrow(/must be iBGP/);
    expect(() => validateOptions({ ...rr, neighbors: [{ address: '10.0.0.9', asn: 65009, password: 'with space' }] })).toThrow(/without spaces, quotes/);
    expect(() => validateOptions({ ...rr, neighbors: [{ address: '10.0.0.9', asn: 65009, password: 'a"b' }] })).toThrow(/without spaces, quotes/);
  });

  it('BIRD static routes carry the announce attributes', () => {
    expect(renderBirdStatic(['10.1.0.0/24', '10.1.1.0/24'], {})).toBe('route 10.1.0.0/24 blackhole;\nroute 10.1.1.0/24 blackhole;\n');
    expect(renderBirdStatic(['fd01::/64'], { nextHop: 'fd00::2', med: 3, communities: ['65001:1', '65001:2'] })).toBe(
      'route fd01::/64 via fd00::2 { bgp_med = 3; bgp_community.add((65001,1)); bgp_community.add((65001,2)); };\n',
    );
  });

  it('FRR announce: a diff while attributes stay, a full re-add under a new route-map when they change', () => {
    const a = { prefixes: ['10.1.0.0/24', '10.1.1.0/24', 'fd01::/64'] };
    const b = { prefixes: ['10.1.1.0/24', '10.1.2.0/24'] };
    golden('frr-announce-diff.vtysh', renderFrrAnnounce(65001, a, b, {}));
    const attrs = { med: 7, communities: ['65001:9'], nextHop: '10.0.0.1' };
    const rm = frrRouteMapName(attrs, 2);
    golden('frr-announce-attrs.vtysh', renderFrrAnnounce(65001, b, { ...b, ...(rm !== undefined ? { routeMap: rm } : {}) }, attrs));
  });

  it('GoBGP CLI arguments and MRT file', () => {
    expect(gobgpAddArgs('fd01::/64', { nextHop: 'fd00::1', med: 4, communities: ['65001:1', '65001:2'] })).toEqual([
      'global', 'rib', '-a', 'ipv6', 'add', 'fd01::/64', 'nexthop', 'fd00::1', 'med', '4', 'community', '65001:1,65001:2',
    ]);
    golden('gobgp-v4.mrt.hex', `${renderMrt('10.0.0.1', prefixRange('10.1.0.0', 2, 24), { med: 5, communities: ['65001:1'] }, 1).toString('hex')}\n`);
    golden('gobgp-v6.mrt.hex', `${renderMrt('10.0.0.1', ['fd01::/64'], {}, 0).toString('hex')}\n`);
  });

  it('prefixRange counts in prefix-sized steps, IPv4 and IPv6', () => {
    expect(prefixRange('10.1.255.0', 2, 24)).toEqual(['10.1.255.0/24', '10.2.0.0/24']);
    expect(prefixRange('fd00:1::', 3, 64)).toEqual(['fd00:1::/64', 'fd00:1:0:1::/64', 'fd00:1:0:2::/64']);
    expect(() => prefixRange('10.1.0.1', 1, 24)).toThrow(/not aligned/);
  });
});
