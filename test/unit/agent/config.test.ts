import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, ConfigError, isCidr, isHostPort, parseConfig, REDACTED, redactSecrets, type ConfigProblem } from '../../../src/agent/config.js';
import { peerSpecs } from '../../../src/agent/routing.js';

const ctx = { source: 'test.yaml', env: {}, hostname: 'host-1' };

function problems(text: string): ConfigProblem[] {
  try {
    parseConfig(text, ctx);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('agent config', () => {
  it('fills every default for an empty document', () => {
    const c = parseConfig('', ctx);
    expect(c).toEqual({
      nodeName: 'host-1',
      namespace: 'kube-system',
      datastore: { type: 'kubernetes' },
      bgp: { asn: 64512, listenAddress: '::', listenPort: 179, peers: [], nodeMesh: true, gracefulRestartTime: 120, advertise: [] },
      routes: { protocol: 180, table: 254, metric: 20 },
      policy: { enabled: true },
      cni: { nodeFile: '/var/run/meridian/node.json' },
      clusterCIDRs: [],
      natOutgoing: { enabled: true, nonMasqueradeCIDRs: [] },
      statusSocket: '/var/run/meridian/meridian.sock',
      metrics: { listen: '0.0.0.0:9493' },
      logLevel: 'info',
    });
  });

  it('takes the node name from NODE_NAME before the hostname', () => {
    expect(parseConfig('{}', { ...ctx, env: { NODE_NAME: 'node-7' } }).nodeName).toBe('node-7');
    expect(parseConfig('nodeName: explicit', { ...ctx, env: { NODE_NAME: 'node-7' } }).nodeName).toBe('explicit');
  });

  it('takes the namespace from POD_NAMESPACE before kube-system, and checks it is a namespace name', () => {
    expect(parseConfig('{}', { ...ctx, env: { POD_NAMESPACE: 'meridian-system' } }).namespace).toBe('meridian-system');
    expect(parseConfig('namespace: net', { ...ctx, env: { POD_NAMESPACE: 'meridian-system' } }).namespace).toBe('net');
    expect(problems('namespace: Not_A_Name')).toEqual([{ field: 'namespace', message: 'must be a Kubernetes namespace name (DNS-1123 label)' }]);
  });

  it('takes a peer password of 1 to 80 bytes, passes it to the speaker and redacts it for display', () => {
    const c = parseConfig(`bgp:\n  peers:\n    - {address: 192.0.2.254, asn: 65000, password: "s3cret"}\n    - {address: 192.0.2.253, asn: 65000}\n`, ctx);
    expect(c.bgp.peers[0]?.password).toBe('s3cret');
    expect(peerSpecs(c).map((p) => p.password)).toEqual(['s3cret', undefined]);
    const shown = redactSecrets(c);
    expect(JSON.stringify(shown)).not.toContain('s3cret');
    expect(shown.bgp.peers[0]?.password).toBe(REDACTED);
    expect(shown.bgp.peers[1]).toEqual(c.bgp.peers[1]);
    expect(c.bgp.peers[0]?.password).toBe('s3cret'); // the config itself is untouched
    const bad = { field: 'bgp.peers[0].password', message: 'must be 1 to 80 bytes (a TCP MD5 key, RFC 2385)' };
    expect(problems(`bgp: {peers: [{address: 192.0.2.254, asn: 65000, password: ""}]}`)).toEqual([bad]);
    expect(problems(`bgp: {peers: [{address: 192.0.2.254, asn: 65000, password: "${'x'.repeat(81)}"}]}`)).toEqual([bad]);
  });

  it('fills peer defaults and keeps explicit values', () => {
    const c = parseConfig(
      `bgp:
  asn: 4200000001
  routerId: 192.0.2.1
  peers:
    - {address: "192.0.2.254", asn: 65000}
    - {address: "2001:db8::1", asn: 65001, port: 1179, passive: true, routeReflectorClient: true, holdTime: 0, gracefulRestart: {restartTime: 300}}
`,
      ctx,
    );
    expect(c.bgp.peers).toEqual([
      { address: '192.0.2.254', asn: 65000, port: 179, passive: false, routeReflectorClient: false, holdTime: 90, gracefulRestart: true, nextHopSelf: false },
      {
        address: '2001:db8::1',
        asn: 65001,
        port: 1179,
        passive: true,
        routeReflectorClient: true,
        holdTime: 0,
        gracefulRestart: { restartTime: 300 },
        nextHopSelf: false,
      },
    ]);
  });

  it('names the field of every problem', () => {
    expect(
      problems(`
datastore: {type: files}
bgp:
  asn: 0
  routerId: "2001:db8::1"
  listenPort: 70000
  peers:
    - {address: 10.0.0.256, asn: 65000, holdTime: 2}
    - {address: 10.0.0.1, asn: 65000, gracefulRestart: {restartTime: 5000}}
    - {address: 10.0.0.2, asn: 65000, hodlTime: 3}
routes: {protocol: 2}
clusterCIDRs: [10.244.0.0/33, "fd00::/64"]
metrics: {listen: "localhost:9000"}
logLevel: chatty
extra: 1
`).map((p) => p.field),
    ).toEqual([
      'datastore.path',
      'bgp.asn',
      'bgp.routerId',
      'bgp.listenPort',
      'bgp.peers[0].address',
      'bgp.peers[0].holdTime',
      'bgp.peers[1].gracefulRestart.restartTime',
      'bgp.peers[2].hodlTime',
      'routes.protocol',
      'clusterCIDRs[0]',
      'metrics.listen',
      'logLevel',
      'extra',
    ]);
  });

  it('reports unknown fields as such', () => {
    expect(problems('bgp: {peers: [{address: 10.0.0.1, asn: 1, hodlTime: 3}]}')).toEqual([
      { field: 'bgp.peers[0].hodlTime', message: 'unknown field' },
    ]);
  });

  it('reports YAML syntax errors and duplicate keys', () => {
    expect(problems('bgp: [\n')[0]?.field).toBe('');
    expect(problems('nodeName: a\nnodeName: b\n')[0]?.message).toMatch(/unique/i);
  });

  it('puts the source and every problem in the message', () => {
    try {
      parseConfig('bgp: {asn: -1}', ctx);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).code).toBe('CONFIG_INVALID');
      expect((e as ConfigError).message).toMatch(/^invalid config test.yaml:\n {2}bgp.asn: /);
    }
  });

  // Each of these used to load and then fail, or be silently ignored, at run time.
  it.each([
    ['a community half above 16 bits', 'bgp: {peers: [{address: 10.0.0.1, asn: 1, exportPolicy: {defaultAction: accept, rules: [{action: accept, set: {addCommunities: ["99999:99999"]}}]}}]}', 'bgp.peers[0].exportPolicy.rules[0].set.addCommunities[0]', /both parts 0\.\.65535/],
    ['a matched community above 16 bits', 'bgp: {peers: [{address: 10.0.0.1, asn: 1, importPolicy: {defaultAction: reject, rules: [{action: accept, match: {communities: ["65000:65536"]}}]}}]}', 'bgp.peers[0].importPolicy.rules[0].match.communities[0]', /both parts 0\.\.65535/],
    ['ge greater than le', 'bgp: {peers: [{address: 10.0.0.1, asn: 1, importPolicy: {defaultAction: reject, rules: [{action: accept, match: {prefixes: [{cidr: 10.244.0.0/16, ge: 28, le: 24}]}}]}}]}', 'bgp.peers[0].importPolicy.rules[0].match.prefixes[0].ge', /greater than le \(24\)/],
    ['le beyond an IPv4 cidr', 'bgp: {peers: [{address: 10.0.0.1, asn: 1, importPolicy: {defaultAction: reject, rules: [{action: accept, match: {prefixes: [{cidr: 10.244.0.0/16, le: 64}]}}]}}]}', 'bgp.peers[0].importPolicy.rules[0].match.prefixes[0].le', /at most 32 for an IPv4 cidr/],
    ['ge beyond an IPv4 cidr', 'bgp: {peers: [{address: 10.0.0.1, asn: 1, importPolicy: {defaultAction: reject, rules: [{action: accept, match: {prefixes: [{cidr: 10.244.0.0/16, ge: 33}]}}]}}]}', 'bgp.peers[0].importPolicy.rules[0].match.prefixes[0].ge', /at most 32/],
    ['le alone shorter than the cidr', 'bgp: {peers: [{address: 10.0.0.1, asn: 1, importPolicy: {defaultAction: reject, rules: [{action: accept, match: {prefixes: [{cidr: 10.244.0.0/16, le: 8}]}}]}}]}', 'bgp.peers[0].importPolicy.rules[0].match.prefixes[0].le', /cidr's length \(16\)/],
    ['ge and le both shorter than the cidr', 'bgp: {peers: [{address: 10.0.0.1, asn: 1, importPolicy: {defaultAction: reject, rules: [{action: accept, match: {prefixes: [{cidr: 10.0.0.0/16, ge: 8, le: 12}]}}]}}]}', 'bgp.peers[0].importPolicy.rules[0].match.prefixes[0].le', /cidr's length \(16\)/],
    ['router ID 0.0.0.0', 'bgp: {routerId: 0.0.0.0}', 'bgp.routerId', /must not be 0\.0\.0\.0/],
    ['the same peer twice', 'bgp: {peers: [{address: "2001:db8::1", asn: 1}, {address: 10.0.0.1, asn: 1}, {address: "2001:DB8:0::1", asn: 2, port: 1179}]}', 'bgp.peers[2].address', /duplicates bgp\.peers\[0\]\.address \(2001:db8::1\)/],
    ['ebgpMultihop with ttlSecurity', 'bgp: {peers: [{address: 10.0.0.1, asn: 1, ebgpMultihop: 2, ttlSecurity: {hops: 1}}]}', 'bgp.peers[0].ebgpMultihop', /cannot be combined with ttlSecurity/],
    ['a path with the kubernetes datastore', 'datastore: {path: /etc/meridian/objects}', 'datastore.path', /only used when type is "files"/],
    ['a kubeconfig with the files datastore', 'datastore: {type: files, path: /x, kubeconfig: /root/.kube/config}', 'datastore.kubeconfig', /only used when type is "kubernetes"/],
  ])('rejects %s, naming the field', (_what, text, field, message) => {
    expect(problems(text)).toEqual([{ field, message: expect.stringMatching(message) }]);
  });

  it('accepts the edges of what it rejects', () => {
    const c = parseConfig(
      `bgp:
  routerId: 0.0.0.1
  peers:
    - address: 10.0.0.1
      asn: 1
      ebgpMultihop: 2
      importPolicy:
        defaultAction: reject
        rules:
          - match: {prefixes: [{cidr: 10.244.0.0/16, ge: 24, le: 24}, {cidr: "fd00::/48", le: 128}, {cidr: 10.0.0.0/8, le: 8}], communities: ["65535:65535", "0:0"]}
            action: accept
    - {address: 10.0.0.2, asn: 1, ttlSecurity: {hops: 1}}
`,
      ctx,
    );
    expect(c.bgp.peers.map((p) => p.address)).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('validates CIDRs and HOST:PORT', () => {
    expect(isCidr('10.244.0.0/16')).toBe(true);
    expect(isCidr('fd00::/128')).toBe(true);
    expect(isCidr('10.244.0.1/16')).toBe(false);
    expect(isCidr('fd00::1/64')).toBe(false);
    expect(isCidr('10.0.0.0/33')).toBe(false);
    expect(isCidr('10.0.0.0')).toBe(false);
    expect(isCidr('10.0.0.0/1x')).toBe(false);
    expect(isHostPort('[::1]:9493')).toBe(true);
    expect(isHostPort('0.0.0.0:1')).toBe(true);
    expect(isHostPort('::1:9493')).toBe(false);
    expect(isHostPort('0.0.0.0:65536')).toBe(false);
  });
});

describe('docs/configuration.md', () => {
  const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  function leaves(o: unknown, path: string[] = []): [string, unknown][] {
    if (o !== null && typeof o === 'object' && !Array.isArray(o)) {
      return Object.entries(o).flatMap(([k, v]) => leaves(v, [...path, k]));
    }
    return [[path.join('.'), o]];
  }
  it.each(leaves(CONFIG_DEFAULTS))('documents the default of %s', (field, value) => {
    // Each default appears in the table as: | `field` | ... | `value` |
    const shown = Array.isArray(value) ? '[]' : String(value);
    const docField = field.replace(/^bgp\.peer\./, 'bgp.peers[].');
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${docField}\` `));
    expect(row, `no row for ${docField}`).toBeDefined();
    expect(row).toContain(`\`${shown}\``);
  });
});
