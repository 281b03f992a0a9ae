// `meridian status` renders the agent's datastore, objects not used as written, policy and readiness.

import { describe, expect, it } from 'vitest';
import { renderStatus, type StatusDoc } from '../../../src/cli/status-command.js';

describe('renderStatus', () => {
  it('shows readiness, per-kind sync, objects not used as written and policy counts', () => {
    const s: StatusDoc = {
      node: 'node-a',
      readiness: { ready: false, why: 'waiting for the initial sync of NetworkPolicy' },
      datastore: {
        type: 'kubernetes',
        kinds: { Node: { synced: true, connected: false, lists: 2, events: 7, errors: 3, lastError: 'connect ECONNREFUSED', lastContactAt: 1000 } },
        view: { synced: false, waitingFor: ['NetworkPolicy'], version: 9, deliveredVersion: undefined, objects: 4, problems: [{ kind: 'BGPPeer', namespace: undefined, name: 'bad', source: 'api', reason: 'spec.peerIP: bad', key: 'BGPPeer//bad' }] },
      },
      routing: { started: false, problems: ['Node node-a is not in the cluster (yet): BGP not started'] },
      policy: { enabled: true, syncs: 3, repairs: 0, failures: 1, endpoints: 2, last: { kind: 'incremental', at: 0, durationMs: 4.25, repaired: false } },
    };
    const text = renderStatus(s, 61_000);
    expect(text).toContain('ready: no (waiting for the initial sync of NetworkPolicy)');
    expect(text).toContain('Datastore (kubernetes): waiting for NetworkPolicy, 4 objects');
    expect(text).toMatch(/Node\s+yes\s+no\s+2\s+7\s+3\s+1m0s ago\s+connect ECONNREFUSED/);
    expect(text).toContain('Objects not used as written (1):');
    expect(text).toContain('  BGPPeer bad (api): spec.peerIP: bad');
    expect(text).toContain('Policy: 3 syncs, 0 repairs, 1 failures, 2 local endpoints, last incremental sync took 4.3 ms');
    expect(text).toContain('  Node node-a is not in the cluster (yet): BGP not started');
  });

  it('shows each BGP peer with its last error and how long ago it happened', () => {
    const peer = { asn: 64512, uptimeMs: 5000, prefixesReceived: 2, prefixesIn: 1, prefixesOut: 1, gracefulRestart: 'negotiated' as const, hostname: undefined, md5: false };
    const s: StatusDoc = {
      node: 'node-a',
      bgp: {
        asn: 64512,
        routerId: '192.0.2.1',
        restarting: false,
        peers: [
          { ...peer, address: '192.0.2.2', state: 'Established', lastError: 'hold timer expired: sent NOTIFICATION 4/0 (Hold Timer Expired / Unspecific)', lastErrorAt: 1000 },
          { ...peer, address: '192.0.2.3', state: 'Established', lastError: undefined, lastErrorAt: undefined },
        ],
        originated: ['10.244.1.0/24'],
        routeCount: 0,
        routes: [],
      },
    };
    const text = renderStatus(s, 121_000);
    expect(text).toMatch(/192\.0\.2\.2\s+64512\s+Established\s+5s\s+2\s+1\s+1\s+negotiated\s+no\s+hold timer expired: sent NOTIFICATION 4\/0 \(Hold Timer Expired \/ Unspecific\) \(2m0s ago\)\n/);
    expect(text).toMatch(/192\.0\.2\.3\s+64512\s+Established\s+5s\s+2\s+1\s+1\s+negotiated\s+no\n/);
  });

  it('says which sessions are signed with TCP MD5', () => {
    const peer = { asn: 65000, state: 'Established', uptimeMs: 5000, prefixesReceived: 1, prefixesIn: 1, prefixesOut: 2, gracefulRestart: 'none' as const, lastError: undefined, lastErrorAt: undefined, hostname: undefined };
    const text = renderStatus({ node: 'n', bgp: { asn: 64512, routerId: '192.0.2.1', restarting: false, peers: [{ ...peer, address: '192.0.2.254', md5: true }, { ...peer, address: '192.0.2.253', md5: false }], originated: [], routeCount: 0, routes: [] } });
    expect(text).toMatch(/PEER\s+AS\s+STATE\s+UPTIME\s+RECEIVED\s+ACCEPTED\s+ADVERTISED\s+GR\s+MD5\s+LAST ERROR/);
    expect(text).toMatch(/192\.0\.2\.254\s+65000\s+Established\s+5s\s+1\s+1\s+2\s+none\s+yes/);
    expect(text).toMatch(/192\.0\.2\.253\s+65000\s+Established\s+5s\s+1\s+1\s+2\s+none\s+no/);
  });
});
